"""VIRTA, the Finnish national register of higher-education study records, mapped to ELMO.

``virta_to_elmo`` reads an ``OpiskelijanKaikkiTiedot`` (or ``Opintosuoritukset``) answer: every
``Opintosuoritus`` becomes a LOS whose local id is its VIRTA key (``avain``); ``Sisaltyvyys`` links
build the tree; a degree (``Laji`` 1) is a Degree Programme, a record with parts a Module, the rest
Courses. One report per issuing organisation (``Myontaja``), named from the issuer table
(``name fi;name sv;name en;VIRTA code;SCHAC`` per line). VIRTA has no names: they come from the login.
ECTS sit on the lowest records that carry credits, so nothing is counted twice; a parent's own extent
is kept in its description.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
from lxml import etree

from emrex.elmo import model as m
from emrex.emp.sources.base import (
    LearnerResults,
    PersonNotFound,
    PersonQuery,
    SourceConfigError,
    SourceUnavailable,
    no_identifier,
)
from emrex.errors import EmrexError
from emrex.xml import localname, namespace, parse_untrusted

log = logging.getLogger(__name__)

VIRTA_NS_PREFIX = "urn:mace:funet.fi:virta"
LUKU_NS = "http://tietovaranto.csc.fi/luku"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OPPIJANUMERO = "oppijanumero"  # the Finnish national learner number (an OID)
# PersonQuery identifier type -> VIRTA search field
SEARCH_FIELDS = {"nationalIdentifier": "henkilotunnus", OPPIJANUMERO: "kansallinenOppijanumero"}
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_FAILED = frozenset({"HYL", "0"})
_SCHEMES = {
    "Viisiportainen": (
        m.LangText("Five-step scale: 5 excellent, 4 very good, 3 good, 2 satisfactory, 1 sufficient, "
                   "0 or HYL fail; HYV passed without a grade", "en"),
        m.LangText("Viisiportainen asteikko: 5 erinomainen, 4 kiitettävä, 3 hyvä, 2 tyydyttävä, "
                   "1 välttävä, 0 tai HYL hylätty; HYV hyväksytty", "fi"),
    ),
    "Hyvaksytty": (
        m.LangText("Pass/fail: HYV passed, HYL failed", "en"),
        m.LangText("Hyväksytty/hylätty: HYV hyväksytty, HYL hylätty", "fi"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class VirtaIssuer:
    code: str
    schac: str
    titles: tuple[m.LangText, ...]

    def issuer(self) -> m.Issuer:
        return m.Issuer((m.Identifier("schac", self.schac),), self.titles, f"https://www.{self.schac}", "FI")


def parse_issuers(text: str, *, source: str = "issuer table") -> dict[str, VirtaIssuer]:
    """The issuer table: one ``name fi;name sv;name en;VIRTA code;SCHAC`` per line."""
    issuers: dict[str, VirtaIssuer] = {}
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split(";")]
        if len(fields) != 5 or not fields[3] or not fields[4]:
            raise SourceConfigError(f"{source}, line {number}: expected 'name fi;name sv;name en;code;SCHAC'")
        fi, sv, en, code, schac = fields
        titles: list[m.LangText] = []
        for name, lang in ((fi, "fi"), (sv, "sv"), (en, "en")):
            if name and all(t.text != name for t in titles):
                titles.append(m.LangText(name, lang))
        if not titles:
            raise SourceConfigError(f"{source}, line {number}: the organisation has no name")
        issuers[code] = VirtaIssuer(code, schac.lower(), tuple(titles))
    if not issuers:
        raise SourceConfigError(f"{source}: no organisations in it")
    return issuers


def load_issuers(path: str | Path) -> dict[str, VirtaIssuer]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"issuers_file: cannot read {path} ({exc.__class__.__name__})") from None
    return parse_issuers(text, source=str(path))


@dataclass(frozen=True)
class _Record:
    key: str
    issuer: str
    kind: str
    titles: tuple[m.LangText, ...]
    module_code: str | None
    date: dt.date | None
    ects: Decimal | None
    scheme: str | None
    grade: str | None
    language: str | None
    study_right: str | None
    parts: tuple[str, ...]


def virta_to_elmo(
    xml: bytes,
    issuers: Mapping[str, VirtaIssuer],
    *,
    person: PersonQuery | None = None,
    now: dt.datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LearnerResults:
    """The learner and one report per issuing organisation; names and birth date as ``person`` says."""
    try:
        root = parse_untrusted(xml, max_bytes=max_bytes).getroot()
    except EmrexError as exc:
        raise SourceUnavailable(f"VIRTA did not answer with XML: {exc}") from None
    fault = next((el for el in root.iter() if _is(el, "Fault", SOAP_NS)), None)
    if fault is not None:
        reason = " ".join(_text(c) or "" for c in fault if localname(c) == "faultstring").strip()
        raise SourceUnavailable(f"VIRTA answered with a SOAP fault: {reason[:200] or 'no reason given'}")
    records = [_record(el) for el in root.iter() if _virta(el, "Opintosuoritus")]
    if not records:
        raise PersonNotFound("VIRTA has no study records for this student")
    starts = {
        el.get("avain", ""): _date(_child(el, "AlkuPvm"))
        for el in root.iter()
        if _virta(el, "Opiskeluoikeus")
    }
    learner = _learner(root, person)
    issued = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return LearnerResults(learner, _reports(records, issuers, starts, issued))


def _learner(root: etree._Element, person: PersonQuery | None) -> m.Learner:
    hetu = next((_text(el) for el in root.iter() if _virta(el, "Henkilotunnus")), None)
    oid = next((_text(el) for el in root.iter() if _virta(el, "KansallinenOppijanumero")), None)
    identifiers = []
    if hetu:
        identifiers.append(m.Identifier("nationalIdentifier", hetu))
    if oid:
        identifiers.append(m.Identifier(OPPIJANUMERO, oid))
    birth = person.birth_date if person is not None else None
    return m.Learner(
        given_names=person.given_names if person is not None else "",
        family_name=person.family_name if person is not None else "",
        identifiers=tuple(identifiers),
        birth_date=hetu_birth_date(hetu) if hetu else birth,
    )


_HETU = re.compile(r"^(\d\d)(\d\d)(\d\d)([-+ABCDEFUVWXY])\d{3}[0-9A-Y]$")
_CENTURY = {"+": 1800, "-": 1900, "U": 1900, "V": 1900, "W": 1900, "X": 1900, "Y": 1900}


def hetu_birth_date(hetu: str) -> dt.date | None:
    """The birth date a Finnish personal identity code carries, or None when it is not one."""
    match = _HETU.match(hetu.strip().upper())
    if match is None:
        return None
    day, month, year, sign = match.groups()
    try:
        return dt.date(_CENTURY.get(sign, 2000) + int(year), int(month), int(day))
    except ValueError:
        return None


def _record(el: etree._Element) -> _Record:
    titles = tuple(
        m.LangText(text, (c.get("kieli") or "").lower() or None)
        for c in el
        if _virta(c, "Nimi") and (text := _text(c))
    )
    module = el.get("koulutusmoduulitunniste")
    scheme = grade = None
    grading = _child(el, "Arvosana")
    if grading is not None:
        scale = next((c for c in grading if isinstance(c.tag, str)), None)
        if scale is not None:
            scheme = localname(scale)
            leaves = [t for t in (_text(d) for d in scale.iter() if len(d) == 0) if t]
            grade = leaves[0] if leaves else None
    extent = _child(el, "Laajuus")
    language = (_text(_child(el, "Kieli")) or "").lower()
    return _Record(
        key=el.get("avain", "").strip(),
        issuer=_text(_child(el, "Myontaja")) or "",
        kind=_text(_child(el, "Laji")) or "",
        titles=titles or (m.LangText(module or el.get("avain") or "?", None),),
        module_code=module,
        date=_date(_child(el, "SuoritusPvm")),
        ects=_decimal(_child(extent, "Opintopiste")) if extent is not None else None,
        scheme=scheme,
        grade=grade,
        language=language if re.fullmatch(r"[a-z]{2}", language) else None,
        study_right=el.get("opiskeluoikeusAvain"),
        parts=tuple(
            key
            for c in el
            if _virta(c, "Sisaltyvyys") and (key := (c.get("sisaltyvaOpintosuoritusAvain") or ""))
        ),
    )


def _reports(
    records: list[_Record],
    issuers: Mapping[str, VirtaIssuer],
    starts: Mapping[str, dt.date | None],
    issued: dt.datetime,
) -> list[m.Report]:
    by_key: dict[str, _Record] = {}
    for record in records:
        if record.key and record.key not in by_key:
            by_key[record.key] = record
    parent: dict[str, str] = {}
    for record in by_key.values():
        for key in record.parts:
            child = by_key.get(key)
            # ELMO keeps each institution in its own report: a part from elsewhere stays a root there
            if (
                child is not None
                and key not in parent
                and child.issuer == record.issuer
                and key != record.key
            ):
                parent[key] = record.key
    children: dict[str, list[str]] = {}
    for key, up in parent.items():
        children.setdefault(up, []).append(key)
    for record in by_key.values():  # parts in the order their parent lists them
        if record.key in children:
            order = {k: i for i, k in enumerate(record.parts)}
            children[record.key].sort(key=order.__getitem__)

    done: set[str] = set()

    def build(key: str) -> tuple[m.LearningOpportunitySpecification, bool]:
        done.add(key)
        record = by_key[key]
        built = [build(k) for k in children.get(key, ()) if k not in done]
        parts = tuple(los for los, _ in built)
        below = any(has for _, has in built)
        return _los(record, parts, below, starts), below or record.ects is not None

    roots: dict[str, list[m.LearningOpportunitySpecification]] = {}
    for key, record in by_key.items():
        if key not in parent and key not in done:
            roots.setdefault(record.issuer, []).append(build(key)[0])
    for key, record in by_key.items():  # records caught in a cycle of Sisaltyvyys links
        if key not in done:
            roots.setdefault(record.issuer, []).append(build(key)[0])

    reports = []
    for code, forest in roots.items():
        used = sorted(
            {
                los.specifies.grading_scheme_local_id
                for _, los in _walk(forest)
                if los.specifies is not None and los.specifies.grading_scheme_local_id is not None
            }
        )
        reports.append(
            m.Report(
                issuer=_issuer(code, issuers),
                learning_opportunity_specifications=tuple(forest),
                issue_date=issued,
                grading_schemes=tuple(
                    m.GradingScheme(s, _SCHEMES.get(s, (m.LangText(f"VIRTA grading scale {s}", "en"),)))
                    for s in used
                ),
            )
        )
    return reports


def _walk(
    forest: list[m.LearningOpportunitySpecification],
) -> Iterator[tuple[int, m.LearningOpportunitySpecification]]:
    for los in forest:
        yield from los.walk()


def _los(
    record: _Record,
    parts: tuple[m.LearningOpportunitySpecification, ...],
    credits_below: bool,
    starts: Mapping[str, dt.date | None],
) -> m.LearningOpportunitySpecification:
    degree = record.kind == "1"
    los_type = m.LosType.DEGREE_PROGRAMME if degree else m.LosType.MODULE if parts else m.LosType.COURSE
    descriptions: tuple[m.LangText, ...] = ()
    credits: tuple[m.Credit, ...] = ()
    if record.ects is not None:
        if credits_below:
            descriptions = (
                m.LangText(
                    f"Extent {_plain(record.ects)} credits; the credits are given on its parts.", "en"
                ),
            )
        else:
            credits = (m.Credit("ECTS", record.ects),)
    identifiers = [m.Identifier("local", record.key)]
    if record.module_code:
        identifiers.append(m.Identifier("courseCode", record.module_code))
    failed = record.grade is not None and record.grade.upper() in _FAILED
    loi = m.LearningOpportunityInstance(
        start=starts.get(record.study_right or "") if degree else None,
        date=record.date,
        status=m.LoiStatus.FAILED if failed else m.LoiStatus.PASSED,
        grading_scheme_local_id=record.scheme,
        result_label=record.grade,
        credits=credits,
        language_of_instruction=record.language,
    )
    return m.LearningOpportunitySpecification(
        titles=record.titles,
        identifiers=tuple(identifiers),
        type=los_type,
        descriptions=descriptions,
        specifies=loi,
        has_part=parts,
    )


def _issuer(code: str, issuers: Mapping[str, VirtaIssuer]) -> m.Issuer:
    known = issuers.get(code)
    if known is not None:
        return known.issuer()
    log.warning("VIRTA organisation code %s is not in the issuer table; its report has no SCHAC code", code)
    return m.Issuer(
        (m.Identifier("virta", code),), (m.LangText(f"VIRTA organisation {code}", "en"),), None, "FI"
    )


def _is(el: etree._Element, name: str, ns: str) -> bool:
    return isinstance(el.tag, str) and localname(el) == name and namespace(el) == ns


def _virta(el: etree._Element, name: str) -> bool:
    return (
        isinstance(el.tag, str)
        and localname(el) == name
        and (namespace(el) or "").startswith(VIRTA_NS_PREFIX)
    )


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    return next((c for c in el if _virta(c, name)), None)


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return " ".join(el.text.split()) or None


def _date(el: etree._Element | None) -> dt.date | None:
    text = _text(el)
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _decimal(el: etree._Element | None) -> Decimal | None:
    text = _text(el)
    try:
        value = Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() and value >= 0 else None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class VirtaSourceConfig:
    url: str  # the VIRTA "luku" SOAP endpoint
    issuers_file: str
    system: str = ""  # Kutsuja: jarjestelma, tunnus, avain (the credentials CSC gives the EMP)
    user: str = ""
    key: str = ""
    identifier_types: tuple[str, ...] = ("nationalIdentifier", OPPIJANUMERO)
    timeout: float = 20.0
    max_bytes: int = DEFAULT_MAX_BYTES
    verify: bool | str = True

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceConfigError("url: must be the http(s) URL of the VIRTA SOAP service")
        unknown = [t for t in self.identifier_types if t not in SEARCH_FIELDS]
        if unknown or not self.identifier_types:
            known = ", ".join(SEARCH_FIELDS)
            raise SourceConfigError(f"identifier_types: VIRTA is searched by {known} only")
        if not self.timeout > 0:
            raise SourceConfigError("timeout: must be more than 0 seconds")


class VirtaSource:
    """Asks VIRTA for ``OpiskelijanKaikkiTiedot`` of the student and maps the answer to ELMO."""

    def __init__(self, config: VirtaSourceConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.issuers = load_issuers(config.issuers_file)
        self.host = urllib.parse.urlsplit(config.url).netloc.rpartition("@")[2]
        self.client = httpx.Client(
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
            timeout=config.timeout,
            follow_redirects=False,
            verify=config.verify,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, person: PersonQuery) -> LearnerResults:
        candidates = person.candidates(self.config.identifier_types)
        if not candidates:
            raise no_identifier(self.config.identifier_types)
        type_, value = candidates[0]
        data = self._post(soap_request(SEARCH_FIELDS[type_], value, self.config))
        results = virta_to_elmo(data, self.issuers, person=person, max_bytes=self.config.max_bytes)
        answered = results.learner.identifier(type_)
        if answered is not None and answered.upper() != value.upper():
            raise SourceUnavailable("VIRTA answered with the records of another person")
        return results

    def _post(self, body: bytes) -> bytes:
        where = f"VIRTA at {self.host}"
        try:
            with self.client.stream("POST", self.config.url, content=body) as response:
                # a SOAP fault comes with HTTP 500 and is read as such
                if response.status_code not in (200, 500):
                    raise SourceUnavailable(f"{where} answered HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise SourceUnavailable(f"{where} answered more than {self.config.max_bytes} bytes")
                    chunks.append(chunk)
                data = b"".join(chunks)
                if response.status_code == 500 and b"Fault" not in data:
                    raise SourceUnavailable(f"{where} answered HTTP 500")
                return data
        except httpx.TimeoutException:
            raise SourceUnavailable(f"{where} did not answer within {self.config.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{where} cannot be reached ({type(exc).__name__})") from None


def soap_request(field: str, value: str, config: VirtaSourceConfig) -> bytes:
    """The SOAP envelope of an ``OpiskelijanKaikkiTiedotRequest`` searching by ``field``."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "luku": LUKU_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    request = etree.SubElement(body, f"{{{LUKU_NS}}}OpiskelijanKaikkiTiedotRequest")
    caller = etree.SubElement(request, f"{{{LUKU_NS}}}Kutsuja")
    for name, text in (("jarjestelma", config.system), ("tunnus", config.user), ("avain", config.key)):
        etree.SubElement(caller, f"{{{LUKU_NS}}}{name}").text = text
    search = etree.SubElement(request, f"{{{LUKU_NS}}}Hakuehdot")
    etree.SubElement(search, f"{{{LUKU_NS}}}{field}").text = value
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
