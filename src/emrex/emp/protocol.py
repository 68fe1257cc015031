"""The EMREX request an EMP receives, checked, and the return codes it answers with.

An EMC sends the browser here with ``sessionId`` and ``returnUrl`` (form POST; GET tolerated); the
Polish extension flags ``allowToPickCourses`` (default true) and ``allowNotPassedCourses`` (default
false) are honoured, every other parameter is ignored. The reply is a form POST of ``sessionId``,
``returnCode``, ``returnMessage`` and ``elmo`` back to ``returnUrl``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from emrex.errors import EmrexError
from emrex.hosts import HostError, browser_host

MAX_SESSION_ID = 64
MAX_RETURN_URL = 2048
_SESSION_ID = re.compile(r"[A-Za-z0-9_.~-]{1,64}")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class ReturnCode(StrEnum):
    OK = "NCP_OK"
    NO_RESULTS = "NCP_NO_RESULTS"
    CANCEL = "NCP_CANCEL"
    ERROR = "NCP_ERROR"


class EntryError(EmrexError):
    """The request from the client cannot start a session; ``problem`` names the rule (for the page)."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class EntryRules:
    # Hosts whose returnUrl may be plain http (development, demo networks).
    dev_http_hosts: frozenset[str] = frozenset()
    # When not empty, only clients on these hosts may use this EMP.
    client_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EntryRequest:
    session_id: str
    return_url: str
    allow_pick: bool = True
    allow_not_passed: bool = False

    @property
    def client_host(self) -> str:
        return client_host(self.return_url)


def client_host(return_url: str) -> str:
    return (urlsplit(return_url).hostname or "").lower()


def parse_entry(params: Mapping[str, str], rules: EntryRules) -> EntryRequest:
    """The checked request, or EntryError saying what is wrong (in English, for logs and tests)."""
    session_id = params.get("sessionId", "")
    if not session_id:
        raise EntryError("the sessionId parameter is missing", "session_id_missing")
    if len(session_id) > MAX_SESSION_ID or not _SESSION_ID.fullmatch(session_id):
        raise EntryError(
            f"sessionId must be 1 to {MAX_SESSION_ID} URL-safe characters (letters, digits, - _ . ~)",
            "session_id_invalid",
        )
    return_url = check_return_url(params.get("returnUrl", ""), rules)
    return EntryRequest(
        session_id=session_id,
        return_url=return_url,
        allow_pick=_flag(params, "allowToPickCourses", True),
        allow_not_passed=_flag(params, "allowNotPassedCourses", False),
    )


def check_return_url(value: str, rules: EntryRules) -> str:
    if not value:
        raise EntryError("the returnUrl parameter is missing", "return_url_missing")
    if len(value) > MAX_RETURN_URL:
        raise EntryError(f"returnUrl is longer than {MAX_RETURN_URL} characters", "return_url_invalid")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value) or "\\" in value:
        raise EntryError("returnUrl holds spaces or control characters", "return_url_invalid")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise EntryError("returnUrl is not a valid URL", "return_url_invalid") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EntryError("returnUrl must be an absolute https URL", "return_url_invalid")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise EntryError("returnUrl must not carry a user name or password", "return_url_credentials")
    if parts.fragment:
        raise EntryError("returnUrl must not have a #fragment", "return_url_invalid")
    if port == 0:
        raise EntryError("returnUrl has an invalid port", "return_url_invalid")
    host = _browser_host(parts.netloc)
    if parts.scheme == "http" and host not in rules.dev_http_hosts:
        raise EntryError("returnUrl must use https", "return_url_not_https")
    if not _valid_host(host):
        raise EntryError("returnUrl has an invalid host name", "return_url_invalid")
    if rules.client_hosts and host not in rules.client_hosts:
        raise EntryError(
            f"the client at {host} is not allowed to use this data provider", "client_not_allowed"
        )
    return value


def _browser_host(netloc: str) -> str:
    """The host as a browser reads it (without brackets), refused unless written that way: a disguised
    IP address (``2130706433``, ``0x7f000001``, ``0177.0.0.1``) would be shown as one host and reached
    as another."""
    raw = netloc[: netloc.index("]") + 1] if netloc.startswith("[") and "]" in netloc else netloc
    if not raw.startswith("["):
        raw = raw.rpartition(":")[0] if ":" in raw else raw
    try:
        host = browser_host(raw)
    except HostError as error:
        raise EntryError(f"returnUrl: {error}", "return_url_invalid") from None
    if host.text != raw.lower():
        raise EntryError(
            f"returnUrl: the host {raw!r} is an IP address in a disguised form (browsers read it as "
            f"{host.text})",
            "return_url_disguised",
        )
    return host.text.strip("[]")


def _valid_host(host: str) -> bool:
    if host.startswith("[") or ":" in host:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return True
    labels = host.rstrip(".").split(".")
    return all(re.fullmatch(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?", label) for label in labels)


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EntryError(f"{name} must be true or false", "flag_invalid")


def response_fields(
    request_session_id: str, code: ReturnCode, message: str = "", elmo: str = ""
) -> list[tuple[str, str]]:
    """The form fields of the reply; ``elmo`` only with NCP_OK."""
    if code is not ReturnCode.OK and elmo:
        raise ValueError("only NCP_OK carries an elmo document")
    return [
        ("sessionId", request_session_id),
        ("returnCode", code.value),
        ("returnMessage", message),
        ("elmo", elmo),
    ]
