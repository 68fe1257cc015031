"""What a protocol handler answers: a status, a body and headers, for any web framework to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emrex.wallet.errors import ProtocolError
from emrex.wallet.jose import Json, dumps

NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Json | str
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else dumps(self.body)


def ok(body: Json | str, media_type: str = "application/json", *, store: bool = True) -> Reply:
    return Reply(200, body, media_type, {} if store else NO_STORE)


def error_reply(exc: ProtocolError, headers: Mapping[str, str] | None = None) -> Reply:
    """The OAuth error body (``error``, ``error_description``) for a refused request."""
    return Reply(
        exc.status,
        {"error": exc.error, "error_description": exc.message},
        headers={**NO_STORE, **(headers or {})},
    )
