"""Checks shared by the EMP and EMC page cases: routes that change state, headers, cookies."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, Route

from tests.hostile.checks import no_traceback

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path with every parameter filled in) of every route, mounted apps included."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes), prefix + route.path)
            elif isinstance(route, Route):
                path = re.sub(r"\{[^}]+\}", "1", prefix + route.path)
                found.extend((method, path) for method in sorted((route.methods or set()) & STATE_CHANGING))
            elif hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
                context = getattr(route, "include_context", None)
                walk(list(route.original_router.routes), prefix + getattr(context, "prefix", ""))
            else:
                raise AssertionError(f"a kind of route this check does not know: {route!r}")

    walk(list(app.routes), "")
    return sorted(set(found))


def security_headers(response: httpx.Response) -> None:
    headers = response.headers
    policy = headers["content-security-policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";")}
    assert directives["frame-ancestors"] == "frame-ancestors 'none'", policy
    assert directives["object-src"] == "object-src 'none'", policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    script = directives["script-src"].split()[1:]
    assert all(source == "'self'" or source.startswith("'sha256-") for source in script), policy
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["cache-control"] == "no-store"
    no_traceback(response.text)


def cookie_flags(response: httpx.Response) -> list[str]:
    """Every Set-Cookie of the response, each checked for Secure, HttpOnly and SameSite=Lax."""
    cookies = response.headers.get_list("set-cookie")
    for cookie in cookies:
        lowered = cookie.lower()
        assert "; secure" in lowered and "; httponly" in lowered and "samesite=lax" in lowered, cookie
        assert cookie.startswith("__Host-"), cookie
    return cookies


def cookie_value(client: Any, name_part: str = "emrex_session") -> str | None:
    for cookie in client.cookies.jar:
        if name_part in cookie.name:
            value: str | None = cookie.value
            return value
    return None
