"""The EMP's ``[oots]`` table: who the data provider is in OOTS, what it offers, where its access point is.

    [oots]
    provider_id = "EL-OLYMPOS-DP"          # as registered in the Data Service Directory
    provider_scheme = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:EL"
    provider_name = "Olympos Polytechnic"
    country = "EL"
    procedures = ["T1", "T2", "T3"]        # optional: only these procedure codes are answered
    preview_minutes = 30                   # the person's time to log in and agree
    delivery_minutes = 30                  # the requester's time to collect what was agreed
    access_point = "https://ap.example/services/wsplugin"   # the WS plugin of our Domibus
    [[oots.evidence_types]]
    identifier = "8f0a9a0e-5a3e-4a5c-9f10-7b2b5b1d3c41"   # the DSD's DataServiceEvidenceType id
    classification = "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/EL/…"
    title = "Transcript of records"
    formats = ["application/xml", "application/pdf", "application/json"]

``application/json`` is the sealed European Digital Credential (the signed ELMO embedded), offered only
with the EMP's ``[seal]`` table (``sealed``); without ``formats`` a type offers the ELMO and the PDF,
and the EDC too when the EMP seals.

The PreviewLocation is the EMP's own ``/oots/preview/<token>`` under ``base_url``. Every error names
the setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emrex.errors import EmrexError
from emrex.oots import Agent, EvidenceType, Identifier, ProviderConfig, Text
from emrex.oots.names import PROCEDURES_V2

PREVIEW_PATH = "/oots/preview/"
ELMO, PDF, EDC = "application/xml", "application/pdf", "application/json"
_KEYS = frozenset(
    {
        "provider_id",
        "provider_scheme",
        "provider_name",
        "country",
        "procedures",
        "preview_minutes",
        "delivery_minutes",
        "access_point",
        "evidence_types",
    }
)
_TYPE_KEYS = frozenset({"identifier", "classification", "title", "description", "formats"})


class OotsConfigError(EmrexError):
    """The ``[oots]`` table is unusable; the message names the setting."""


@dataclass(frozen=True)
class OotsSettings:
    provider: ProviderConfig
    access_point: str | None = None  # the WS plugin's URL; None: nothing polls (tests, a demo's own loop)


def oots_settings(
    data: Mapping[str, Any], base_url: str, http_hosts: frozenset[str] = frozenset(), *, sealed: bool = False
) -> OotsSettings:
    """``http_hosts``: where plain http is allowed (development), for the requester's ReturnLocation;
    ``sealed``: the EMP has a ``[seal]`` table, so its evidence may carry the sealed EDC."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise OotsConfigError(f"oots.{unknown[0]}: unknown setting")
    provider = Agent(
        Identifier(_text(data, "provider_id"), _text(data, "provider_scheme")),
        (Text(_text(data, "provider_name")),),
        _text(data, "country").upper(),
    )
    types = data.get("evidence_types")
    if not isinstance(types, list) or not types or not all(isinstance(t, Mapping) for t in types):
        raise OotsConfigError("oots.evidence_types: expected one or more [[oots.evidence_types]] tables")
    procedures = data.get("procedures")
    if procedures is not None and (
        not isinstance(procedures, list) or not all(p in PROCEDURES_V2 for p in procedures)
    ):
        raise OotsConfigError(f"oots.procedures: expected procedure codes from {', '.join(PROCEDURES_V2)}")
    access_point = data.get("access_point")
    if access_point is not None and (
        not isinstance(access_point, str) or urlsplit(access_point).scheme not in ("https", "http")
    ):
        raise OotsConfigError("oots.access_point: expected the URL of the access point's WS plugin")
    try:
        config = ProviderConfig(
            provider=provider,
            evidence_types=tuple(_evidence_type(t, i, sealed) for i, t in enumerate(types)),
            preview_base=base_url.rstrip("/") + PREVIEW_PATH,
            preview_ttl=dt.timedelta(minutes=_minutes(data, "preview_minutes")),
            delivery_ttl=dt.timedelta(minutes=_minutes(data, "delivery_minutes")),
            procedures=frozenset(procedures) if procedures is not None else None,
            dev_http_hosts=http_hosts,
        )
    except ValueError as error:
        raise OotsConfigError(f"oots: {error}") from None
    return OotsSettings(config, access_point)


def _evidence_type(data: Mapping[str, Any], index: int, sealed: bool) -> EvidenceType:
    where = f"oots.evidence_types[{index}]"
    unknown = sorted(set(data) - _TYPE_KEYS)
    if unknown:
        raise OotsConfigError(f"{where}.{unknown[0]}: unknown setting")
    formats = data.get("formats", [ELMO, PDF, EDC] if sealed else [ELMO, PDF])
    if not isinstance(formats, list) or not formats or not all(f in (ELMO, PDF, EDC) for f in formats):
        raise OotsConfigError(f"{where}.formats: {ELMO}, {PDF} and/or {EDC} (the sealed EDC)")
    if EDC in formats and not sealed:
        raise OotsConfigError(f"{where}.formats: {EDC} (the sealed EDC) needs the EMP's [seal] table")
    description = data.get("description")
    return EvidenceType(
        identifier=_text(data, "identifier", where),
        classification=_text(data, "classification", where),
        titles=(Text(_text(data, "title", where)),),
        descriptions=(Text(description),) if isinstance(description, str) and description else (),
        formats=tuple(formats),
    )


def _text(data: Mapping[str, Any], key: str, where: str = "oots") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OotsConfigError(f"{where}.{key}: missing (expected text)")
    return value.strip()


def _minutes(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 30)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 60:
        raise OotsConfigError(f"oots.{key}: expected a whole number of minutes from 1 to 1440")
    return value
