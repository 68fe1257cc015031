"""The EMP's ``[ewp]`` table: serving incoming students' transcripts over EWP (docs/EWP.md).

[ewp]
hei_id = "fjordby.example"           # the institution this EMP serves over EWP (SCHAC)
institution_name = "Fjordby University"
country = "NO"
catalogue = "https://registry.erasmuswithoutpaper.eu/catalogue-v1.xml"   # or a file
server_key = "ewp-server-key.pem"    # signs our responses; listed in our manifest
client_key = "ewp-client-key.pem"    # optional: its public key is listed in our manifest
admin_emails = ["ewp-admin@fjordby.example"]
hosts = ["ewp.fjordby.example"]      # optional: the Host names clients sign (default: base_url's)
max_omobility_ids = 10
catalogue_minutes = 15
replay = "auto"                      # request ids seen: "database" (shared by all workers and
                                     # machines), "memory" (one process), "auto": database when
                                     # [server] workers > 1
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emrex.errors import EmrexError

_SCHAC = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_KNOWN = (
    "hei_id",
    "institution_name",
    "country",
    "catalogue",
    "server_key",
    "client_key",
    "admin_emails",
    "hosts",
    "max_omobility_ids",
    "catalogue_minutes",
    "replay",
)
REPLAY_CACHES = ("auto", "database", "memory")


class EwpSettingsError(EmrexError):
    """A setting of ``[ewp]`` is missing or unusable; the message names it."""


@dataclass(frozen=True)
class EwpServing:
    hei_id: str
    institution_name: str
    country: str
    catalogue: str
    server_key: Path
    admin_emails: tuple[str, ...]
    hosts: tuple[str, ...]
    client_key: Path | None = None
    max_omobility_ids: int = 10
    catalogue_minutes: int = 15
    replay: str = "auto"


def ewp_serving(table: Any, base_url: str) -> EwpServing | None:
    """The ``[ewp]`` table read and checked; None when there is none (EWP off)."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise EwpSettingsError("ewp: expected a table")
    for key in table:
        if key not in _KNOWN:
            raise EwpSettingsError(f"ewp.{key}: unknown setting (known: {', '.join(_KNOWN)})")
    hei_id = _text(table, "hei_id").lower()
    if not _SCHAC.fullmatch(hei_id):
        raise EwpSettingsError("ewp.hei_id: the institution's SCHAC code, like fjordby.example")
    country = _text(table, "country").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise EwpSettingsError("ewp.country: a two-letter country code")
    emails = _texts(table, "admin_emails")
    if not emails or not all("@" in e for e in emails):
        raise EwpSettingsError("ewp.admin_emails: at least one e-mail address (an alias, not a person)")
    replay = table.get("replay", "auto")
    if replay not in REPLAY_CACHES:
        raise EwpSettingsError("ewp.replay: database (shared by every worker), memory (one process) or auto")
    default_host = urlsplit(base_url).netloc.lower()
    return EwpServing(
        hei_id=hei_id,
        institution_name=_text(table, "institution_name"),
        country=country,
        catalogue=_text(table, "catalogue"),
        server_key=Path(_text(table, "server_key")),
        client_key=Path(_text(table, "client_key")) if "client_key" in table else None,
        admin_emails=tuple(emails),
        hosts=tuple(h.lower() for h in _texts(table, "hosts")) or (default_host,),
        max_omobility_ids=_integer(table, "max_omobility_ids", 10, 1, 1000),
        catalogue_minutes=_integer(table, "catalogue_minutes", 15, 1, 180),
        replay=replay,
    )


def _text(table: Mapping[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EwpSettingsError(f"ewp.{key}: {'missing' if value is None else 'expected a non-empty text'}")
    return value.strip()


def _texts(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]  # from the environment
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise EwpSettingsError(f"ewp.{key}: expected a list of texts")
    return [v.strip() for v in value]


def _integer(table: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EwpSettingsError(f"ewp.{key}: a whole number from {low} to {high}")
    return value
