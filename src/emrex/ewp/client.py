"""Calling a partner's EWP APIs: find the API in the registry catalogue, sign the request, verify the
signed response against the server keys the registry lists for that host, read the answer.

``fetch`` of ToRs returns each ELMO as the partner's EMP signed it; the caller verifies that
signature with the partner's EMREX certificate exactly as for an EMREX transfer.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from cryptography import x509
from lxml import etree

from emrex.errors import EmrexError
from emrex.ewp.errors import PartnerError, ResponseNotTrusted
from emrex.ewp.httpsig import SigningKey
from emrex.ewp.namespaces import (
    CLIAUTH_HTTPSIG,
    COMMON_NS,
    ECHO_ENTRY_NS,
    ECHO_NS,
    ELMO_NS,
    SRVAUTH_HTTPSIG,
    TORS_ENTRY_NS,
    TORS_GET_NS,
    TORS_INDEX_NS,
)
from emrex.ewp.params import FORM
from emrex.ewp.request_auth import MIN_WINDOW, Clock, sign_request, utc_now
from emrex.ewp.response_auth import verify_response
from emrex.registry.catalogue import DATA_ACCESS_POINT_NS, ENTRY, NCP_NS
from emrex.registry.hosts import EwpApi, EwpCatalogue, EwpHost
from emrex.trust.certs import load_certificates
from emrex.trust.errors import CertificateError
from emrex.xml import localname, namespace, parse_untrusted

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class FetchedTor:
    omobility_id: str
    elmo: bytes  # a standalone ELMO document, its XML signature as the partner made it
    partner_hei_id: str


@dataclass(frozen=True)
class EchoReply:
    hei_ids: tuple[str, ...]
    echo: tuple[str, ...]


class EwpClient:
    """Our EWP client: ``key`` is the client key our manifest publishes; ``catalogue`` gives the
    registry catalogue currently in force (refreshed by the caller, e.g. a RegistryCache)."""

    def __init__(
        self,
        key: SigningKey,
        catalogue: Callable[[], EwpCatalogue],
        *,
        http: httpx.Client | None = None,
        require_signed_responses: bool = True,
        clock: Clock = utc_now,
        window: dt.timedelta = MIN_WINDOW,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.key = key
        self.catalogue = catalogue
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
        self.require_signed_responses = require_signed_responses
        self.clock = clock
        self.window = window
        self.max_response_bytes = max_response_bytes

    def get_tors(self, receiving_hei_id: str, omobility_ids: Sequence[str]) -> list[FetchedTor]:
        """The approved transcripts among ``omobility_ids`` that the partner lets us see."""
        host, api = self._api(receiving_hei_id, "imobility-tors", TORS_ENTRY_NS)
        url = _field(api, "get-url", receiving_hei_id)
        wanted = list(dict.fromkeys(omobility_ids))
        try:
            chunk = max(1, int(api.field("max-omobility-ids") or "1"))
        except ValueError:
            chunk = 1
        found: list[FetchedTor] = []
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            params = [("receiving_hei_id", receiving_hei_id)] + [("omobility_id", i) for i in part]
            body = self.call(url, params, host, api, receiving_hei_id)
            found += _tors(body, set(part), receiving_hei_id, {t.omobility_id for t in found})
        return found

    def index_tors(
        self,
        receiving_hei_id: str,
        *,
        sending_hei_ids: Iterable[str] = (),
        modified_since: dt.datetime | None = None,
    ) -> list[str]:
        host, api = self._api(receiving_hei_id, "imobility-tors", TORS_ENTRY_NS)
        params = [("receiving_hei_id", receiving_hei_id)] + [("sending_hei_id", s) for s in sending_hei_ids]
        if modified_since is not None:
            params.append(("modified_since", modified_since.isoformat()))
        body = self.call(_field(api, "index-url", receiving_hei_id), params, host, api, receiving_hei_id)
        root = _root(body, TORS_INDEX_NS, "imobility-tors-index-response", receiving_hei_id)
        return list(dict.fromkeys(_text(e) for e in root if _is(e, TORS_INDEX_NS, "omobility-id")))

    def echo(self, hei_id: str, values: Sequence[str] = ()) -> EchoReply:
        host, api = self._api(hei_id, "echo", ECHO_ENTRY_NS)
        body = self.call(_field(api, "url", hei_id), [("echo", v) for v in values], host, api, hei_id)
        root = _root(body, ECHO_NS, "response", hei_id)
        return EchoReply(
            tuple(_text(e) for e in root if _is(e, ECHO_NS, "hei-id")),
            tuple(e.text or "" for e in root if _is(e, ECHO_NS, "echo")),
        )

    def call(
        self, url: str, params: Sequence[tuple[str, str]], host: EwpHost, api: EwpApi, partner: str
    ) -> bytes:
        """POST ``params`` to ``url`` signed, and return the body of a verified 200 answer."""
        if CLIAUTH_HTTPSIG not in api.client_auth:
            raise PartnerError(
                f"{partner}'s {api.name} API does not accept HTTP Signature client authentication"
            )
        signed_answer = SRVAUTH_HTTPSIG in api.server_auth
        if not signed_answer and self.require_signed_responses:
            raise PartnerError(f"{partner}'s {api.name} API does not offer signed responses (HTTP Signature)")
        target = httpx.URL(url)
        body = urlencode(params).encode("ascii")
        port = f":{target.port}" if target.port else ""
        signed = sign_request(
            self.key,
            "POST",
            target.raw_path.decode("ascii"),
            target.raw_host.decode("ascii") + port,
            body,
            content_type=FORM,
            accept_signature=signed_answer,
            now=self.clock(),
        )
        headers = {**signed.headers, "Accept-Encoding": "identity", "Accept": "application/xml"}
        status, response_headers, content = self._post(target, headers, body, partner)
        if signed_answer:
            try:
                verify_response(
                    response_headers,
                    content,
                    server_key=lambda key_id: self.catalogue().server_key(key_id, host),
                    request_id=signed.request_id,
                    request_signature=signed.signature,
                    now=self.clock(),
                    window=self.window,
                )
            except ResponseNotTrusted as exc:
                raise ResponseNotTrusted(f"{partner} ({target.host}, HTTP {status}): {exc}") from None
        if status != 200:
            message = _developer_message(content)
            raise PartnerError(
                f"{partner} ({target.host}) answered HTTP {status}" + (f": {message}" if message else ""),
                status=status,
                developer_message=message,
            )
        return content

    def _api(self, hei_id: str, name: str, ns: str) -> tuple[EwpHost, EwpApi]:
        found = self.catalogue().find_api(hei_id, name, ns)
        if found is None:
            raise PartnerError(f"no host in the EWP registry serves the {name} API for {hei_id!r}")
        return found

    def _post(
        self, url: httpx.URL, headers: dict[str, str], body: bytes, partner: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            with self.http.stream("POST", url, content=body, headers=headers) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise PartnerError(
                            f"{partner}'s answer is larger than {self.max_response_bytes} bytes"
                        )
                    chunks.append(chunk)
                return response.status_code, list(response.headers.multi_items()), b"".join(chunks)
        except httpx.HTTPError as exc:
            raise PartnerError(f"cannot reach {partner} at {url.host}: {exc}") from None


def partner_emp_certificates(catalogue: EwpCatalogue, hei_id: str) -> tuple[x509.Certificate, ...]:
    """The certificates of the EMREX data access points (EMPs) that the hosts covering ``hei_id``
    publish in the catalogue: what a fetched ELMO of that partner must be signed with."""
    found: list[x509.Certificate] = []
    for host in catalogue.hosts_covering(hei_id):
        for api in host.apis:
            if api.name != ENTRY or api.namespace not in (DATA_ACCESS_POINT_NS, NCP_NS):
                continue
            for name, value in api.fields:
                if name != "certificate":
                    continue
                try:
                    found.extend(c for c in load_certificates(value) if c not in found)
                except CertificateError:
                    continue  # a damaged certificate is not a trust anchor; the others still are
    return tuple(found)


def _field(api: EwpApi, name: str, partner: str) -> str:
    value = api.field(name)
    if not value:
        raise PartnerError(f"{partner}'s {api.name} entry in the registry has no {name}")
    return value


def _is(element: etree._Element, ns: str, name: str) -> bool:
    return isinstance(element.tag, str) and namespace(element) == ns and localname(element) == name


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _root(body: bytes, ns: str, name: str, partner: str) -> etree._Element:
    try:
        root = parse_untrusted(body).getroot()
    except EmrexError as exc:
        raise PartnerError(f"{partner}'s answer is not readable XML: {exc}") from None
    if not _is(root, ns, name):
        raise PartnerError(f"{partner}'s answer is <{localname(root)}>, not <{name}>")
    return root


def _tors(body: bytes, asked: set[str], partner: str, seen: set[str]) -> list[FetchedTor]:
    root = _root(body, TORS_GET_NS, "imobility-tors-get-response", partner)
    found: list[FetchedTor] = []
    for tor in root:
        if not _is(tor, TORS_GET_NS, "tor"):
            continue
        ids = [_text(e) for e in tor if _is(e, TORS_GET_NS, "omobility-id")]
        elmos = [e for e in tor if _is(e, ELMO_NS, "elmo")]
        if len(ids) != 1 or len(elmos) != 1:
            raise PartnerError(f"{partner}'s answer holds a <tor> without one omobility-id and one elmo")
        if ids[0] not in asked or ids[0] in seen:
            continue  # not asked for, or twice: never taken as some other mobility's record
        seen.add(ids[0])
        # A copy carries only the namespaces the ELMO itself declares or uses, as it was signed.
        standalone = copy.deepcopy(elmos[0])
        found.append(
            FetchedTor(ids[0], etree.tostring(standalone, xml_declaration=True, encoding="UTF-8"), partner)
        )
    return found


def _developer_message(body: bytes) -> str:
    try:
        root = parse_untrusted(body, max_bytes=1024 * 1024).getroot()
    except EmrexError:
        return ""
    if not _is(root, COMMON_NS, "error-response"):
        return ""
    message = next((_text(e) for e in root if _is(e, COMMON_NS, "developer-message")), "")
    return "".join(c for c in message[:500] if c.isprintable())
