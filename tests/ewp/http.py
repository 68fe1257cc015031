"""Calling Fjordby's mounted routes with hand-made signed requests (GET or POST)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlencode

import httpx

from emrex.ewp import sign_request
from tests.ewp.network import FJORDBY, Fjordby, signing_key


def call(
    fjordby: Fjordby,
    path: str,
    params: Sequence[tuple[str, str]] = (),
    *,
    method: str = "POST",
    key: str = "lindholm-client",
    accept_signature: bool = True,
    now: dt.datetime | None = None,
    headers: dict[str, str | None] | None = None,
    body: bytes | None = None,
) -> httpx.Response:
    """A signed request as a partner sends it; ``headers`` changes headers after signing."""
    query = urlencode(params)
    target = f"{path}?{query}" if method == "GET" and query else path
    content = body if body is not None else (urlencode(params).encode() if method == "POST" else b"")
    made = sign_request(
        signing_key(key),
        method,
        target,
        FJORDBY,
        content,
        content_type="application/x-www-form-urlencoded" if method == "POST" else None,
        accept_signature=accept_signature,
        now=now,
    )
    sent = dict(made.headers)
    for name, value in (headers or {}).items():
        sent = {k: v for k, v in sent.items() if k.lower() != name.lower()}
        if value is not None:
            sent[name] = value
    return fjordby.http.request(method, target, content=content, headers=sent)
