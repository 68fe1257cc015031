"""Checking any EDM message against the rules of its line: what it is, which version, what is broken."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from emrex.errors import EmrexError
from emrex.oots.check_request import check_request
from emrex.oots.check_response import check_error, check_response
from emrex.oots.errors import EdmUnreadable
from emrex.oots.names import QUERY_NS, RS, STATUS_FAILURE, V1, V2
from emrex.oots.regrep import child, slot_text
from emrex.oots.rules import Violation, errors_only
from emrex.xml import localname, namespace, parse_untrusted

# EDM bodies are small (a request is a few KB; documents travel as separate parts): 1 MB is plenty.
MAX_EDM_BYTES = 1024 * 1024


class Kind(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    kind: Kind
    version: str  # the EDM line the message was checked against
    declared: str | None  # the SpecificationIdentifier it announced
    violations: tuple[Violation, ...]

    @property
    def errors(self) -> tuple[Violation, ...]:
        return errors_only(self.violations)

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_edm(data: bytes, *, max_bytes: int = MAX_EDM_BYTES) -> etree._Element:
    """The root of an EDM document; ``EdmUnreadable`` for anything that is not safe, well-formed XML."""
    try:
        return parse_untrusted(data, max_bytes=max_bytes).getroot()
    except EmrexError as error:
        raise EdmUnreadable(f"not a readable EDM message: {error}") from None


def message_kind(root: etree._Element) -> Kind:
    if namespace(root) == QUERY_NS and localname(root) == "QueryRequest":
        return Kind.REQUEST
    if namespace(root) == QUERY_NS and localname(root) == "QueryResponse":
        failed = root.get("status") == STATUS_FAILURE or child(root, RS + "Exception") is not None
        return Kind.ERROR if failed else Kind.RESPONSE
    raise EdmUnreadable(
        f"not an EDM message: the root element is {localname(root) or 'missing'}; expected "
        "query:QueryRequest or query:QueryResponse"
    )


def message_version(root: etree._Element) -> tuple[str, str | None]:
    """(the line to check against, what the message announced): EDM 1.0 when it says so, else 2.0."""
    declared = slot_text(root, "SpecificationIdentifier")
    return (V1 if declared == V1 else V2), declared


def check_tree(root: etree._Element, kind: Kind | None = None) -> CheckResult:
    kind = kind or message_kind(root)
    version, declared = message_version(root)
    checker = {Kind.REQUEST: check_request, Kind.RESPONSE: check_response, Kind.ERROR: check_error}[kind]
    return CheckResult(kind, version, declared, tuple(checker(root, version).violations))


def check_message(data: bytes, *, max_bytes: int = MAX_EDM_BYTES) -> CheckResult:
    """Check an EDM request, evidence response or error response (EDM 2.0 or 1.0)."""
    return check_tree(parse_edm(data, max_bytes=max_bytes))
