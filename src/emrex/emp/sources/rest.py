"""A SIS that offers ELMO over HTTP (the EMREX technical guide's preferred integration).

The URL template names the identifier to send: ``{id}`` (with ``{idType}``) takes the first of the
configured identifier types the login gave, trying the next one when the SIS answers 404; a named
placeholder such as ``{nationalIdentifier}`` sends exactly that identifier. With ``method="POST"``
the identifiers also travel as JSON. The answer is ELMO (XML, or base64 of gzip as in the EMREX
response) read leniently. Messages name the SIS host only: URLs carry personal identifiers.
"""

from __future__ import annotations

import string
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.emp.sources.base import (
    DEFAULT_IDENTIFIER_TYPES,
    LearnerResults,
    PersonNotFound,
    PersonQuery,
    SourceConfigError,
    SourceUnavailable,
    ensure_local_ids,
    no_identifier,
)
from emrex.errors import EmrexError

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_GENERIC = frozenset({"id", "idType"})


@dataclass(frozen=True)
class RestSourceConfig:
    url: str  # e.g. https://sis.example/elmo?id={nationalIdentifier}
    method: str = "GET"
    identifier_types: tuple[str, ...] = DEFAULT_IDENTIFIER_TYPES
    headers: Mapping[str, str] = field(default_factory=dict)
    token: str | None = None  # sent as "Authorization: Bearer <token>"
    timeout: float = 10.0
    max_bytes: int = DEFAULT_MAX_BYTES
    verify: bool | str = True  # False, or the path of a CA bundle, for a SIS with its own CA

    def __post_init__(self) -> None:
        if self.method not in ("GET", "POST"):
            raise SourceConfigError(f"method: {self.method!r} must be GET or POST")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceConfigError("url: must be an http(s) URL template")
        if not self.timeout > 0:
            raise SourceConfigError("timeout: must be more than 0 seconds")
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.url) if name is not None]
        except ValueError as exc:
            raise SourceConfigError(f"url: not a valid template ({exc})") from None
        for name in fields:
            if not name[:1].isalpha() or not name.replace("_", "").isalnum():
                raise SourceConfigError(
                    f"url: placeholder {{{name}}} must be {{id}}, {{idType}} or a type name"
                )


class RestSource:
    def __init__(self, config: RestSourceConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.host = urllib.parse.urlsplit(config.url).netloc.rpartition("@")[2]
        fields = {name for _, name, _, _ in string.Formatter().parse(config.url) if name}
        self.named = sorted(fields - _GENERIC)
        self.generic = bool(fields & _GENERIC)
        headers = {"Accept": "application/xml, text/xml, text/plain", **config.headers}
        if config.token:
            headers["Authorization"] = f"Bearer {config.token}"
        self.client = httpx.Client(
            headers=headers,
            timeout=config.timeout,
            follow_redirects=False,
            verify=config.verify,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, person: PersonQuery) -> LearnerResults:
        candidates = person.candidates(self.config.identifier_types)
        for name in self.named:
            if person.identifier(name) is None:
                raise no_identifier(self.named)
        if self.generic or not self.named:
            if not candidates:
                raise no_identifier(self.config.identifier_types)
            # {id}: each configured type in turn while the SIS answers 404; else one request
            attempts = candidates if self.generic else candidates[:1]
        else:
            attempts = [(self.named[0], person.identifier(self.named[0]) or "")]
        for type_, value in attempts:
            data = self._request(person, type_, value, candidates)
            if data is not None:
                return self._results(data, person, type_)
        raise PersonNotFound("the student information system has no results for this student")

    def _request(
        self, person: PersonQuery, type_: str, value: str, all_ids: list[tuple[str, str]]
    ) -> bytes | None:
        values = {name: person.identifier(name) or "" for name in self.named}
        values.update(id=value, idType=type_)
        url = self.config.url.format_map({k: urllib.parse.quote(v, safe="") for k, v in values.items()})
        body: dict[str, Any] | None = None
        if self.config.method == "POST":
            body = {"identifiers": dict(all_ids)}
            if type_:
                body |= {"identifierType": type_, "identifier": value}
        where = f"the student information system at {self.host}"
        try:
            with self.client.stream(self.config.method, url, json=body) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise SourceUnavailable(f"{where} answered HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.config.max_bytes:
                    raise SourceUnavailable(f"{where} answered more than {self.config.max_bytes} bytes")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise SourceUnavailable(f"{where} answered more than {self.config.max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise SourceUnavailable(f"{where} did not answer within {self.config.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{where} cannot be reached ({type(exc).__name__})") from None

    def _results(self, data: bytes, person: PersonQuery, type_: str) -> LearnerResults:
        where = f"the student information system at {self.host}"
        limits = codec.CodecLimits(max_encoded_bytes=self.config.max_bytes)
        try:
            elmo = read_elmo(codec.decode(data, limits), max_bytes=limits.max_decoded_bytes).elmo
        except EmrexError as exc:
            raise SourceUnavailable(f"{where} did not answer with ELMO: {exc}") from None
        asked = person.identifier(type_) if type_ else None
        answered = elmo.learner.identifier(type_) if type_ else None
        if asked is not None and answered is not None and answered.strip() != asked:
            raise SourceUnavailable(f"{where} answered with the results of another person ({type_} differs)")
        return LearnerResults(elmo.learner, [ensure_local_ids(r) for r in elmo.reports])
