"""Hostile answers at the EMC's return endpoint: refused with a page saying why, no document kept.

Each case starts a real transfer as a logged-in student and posts the answer as the EMP's page
would (without the student's cookie where that matters). Afterwards no table has a new row, the
transfer holds no document, and no log line holds the planted markers.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import gzip
import html
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from emrex.elmo.codec import encode
from emrex.elmo.writer import write_elmo
from emrex.emc import create_emc_app
from emrex.emc.config import EmcSettings
from emrex.emc.models import Status, Transfer
from emrex.emc.registries import Registries
from emrex.registry import Country, Emp, Registry
from emrex.trust import Signer, algorithms
from emrex.trust.ca import Issued, issue, make_ca
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.conftest import (
    ASA,
    BASE_URL,
    NORDVIK,
    Keys,
    answer,
    database_of,
    fresh,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
    signed,
    start,
)
from tests.hostile.apps import shared_student
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = [
    "keys",
    "make_emc",
    "make_settings",
    "migrated_template",
    "password_hash",
    "shared_student",
    "watch_logs",
]

DS = "{http://www.w3.org/2000/09/xmldsig#}"
E = "{https://github.com/emrex-eu/elmo-schemas/tree/v1}"
ELMO_NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
READABLE = "not a readable document"
NOT_ACCEPTED = "signature was not accepted"


def _xml(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>{body}'.encode()


def _doc(original: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(original)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _sig(root: etree._Element) -> etree._Element:
    found = root.find(DS + "Signature")
    assert found is not None
    return found


def _forge(root: etree._Element) -> None:
    given = root.find(f"{E}learner/{E}givenNames")
    assert given is not None
    given.text = MARKER


def _second_signature(root: etree._Element) -> None:
    root.append(copy.deepcopy(_sig(root)))


def _signature_moved_down(root: etree._Element) -> None:
    _forge(root)
    report = root.find(E + "report")
    assert report is not None
    report.append(_sig(root))


def _signed_nested_in_forged(root: etree._Element) -> None:
    original = copy.deepcopy(root)
    _forge(root)
    etree.SubElement(root, E + "extension").append(original)


def _extra_reference(root: etree._Element) -> None:
    info = _sig(root).find(DS + "SignedInfo")
    assert info is not None
    extra = copy.deepcopy(info.find(DS + "Reference"))
    extra.set("URI", "#forged")
    info.append(extra)


def _partial_reference(root: etree._Element) -> None:
    # Signature over one element only: the learner could be anyone.
    learner = root.find(E + "learner")
    assert learner is not None
    learner.set("Id", "only-this")
    reference = _sig(root).find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    reference.set("URI", "#only-this")
    _forge(root)


def _object_in_signature(root: etree._Element) -> None:
    forged = etree.SubElement(_sig(root), DS + "Object")
    forged.append(copy.deepcopy(root.find(E + "learner")))
    _forge(root)


def _xslt_transform(root: etree._Element) -> None:
    transforms = _sig(root).find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    assert transforms is not None
    etree.SubElement(transforms, DS + "Transform", Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116")


def _xpath_filter(root: etree._Element) -> None:
    # A signature over part of the document: an XPath filter that leaves the learner out of the digest.
    transforms = _sig(root).find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    assert transforms is not None
    xpath = etree.SubElement(
        transforms, DS + "Transform", Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"
    )
    etree.SubElement(xpath, DS + "XPath").text = "not(ancestor-or-self::*[local-name()='learner'])"
    _forge(root)


def _foreign_namespace_signature(root: etree._Element) -> None:
    signature = _sig(root)
    signature.tag = "{http://evil.example/dsig}Signature"
    _forge(root)


def _namespace_flood(original: bytes, declarations: int = 2000, elements: int = 20_000) -> bytes:
    # 140 KB: libxml2's inclusive C14N needed minutes for it (work grows with elements × namespaces²).
    text = original.decode()
    start = text.index("<elmo ") + len("<elmo ")
    declared = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(declarations))
    text = text[:start] + declared + " " + text[start:]
    report = text.index("<report")
    return (text[:report] + "<extension>" + "<a/>" * elements + "</extension>" + text[report:]).encode()


def _bomb(size: int) -> str:
    return base64.b64encode(gzip.compress(b"<" + b" " * size, compresslevel=9)).decode()


def _deep(depth: int) -> bytes:
    return _xml(f'<elmo xmlns="{ELMO_NS}">' + "<extension>" * depth + "</extension>" * depth + "</elmo>")


def _huge_attribute() -> bytes:
    # Random text does not compress: no bomb, one attribute beyond libxml2's own 10 MB, within our limits.
    value = base64.b64encode(os.urandom(8 * 1024 * 1024)).decode()
    return _xml(f'<elmo xmlns="{ELMO_NS}" a="{value}"/>')


# case id -> (the elmo form value, given the signing keys; words the refusal names)
VALUE_ATTACKS: dict[str, tuple[Callable[[Keys], str], str]] = {
    "emc-return-xxe": (
        lambda k: encode(
            _xml(
                '<!DOCTYPE elmo [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                f'<elmo xmlns="{ELMO_NS}"><learner><givenNames>&x;</givenNames></learner></elmo>'
            )
        ),
        READABLE,
    ),
    "emc-return-entity-expansion": (
        lambda k: encode(
            _xml(
                '<!DOCTYPE elmo [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
                f'<elmo xmlns="{ELMO_NS}"><learner><givenNames>&d;&d;&d;</givenNames></learner></elmo>'
            )
        ),
        READABLE,
    ),
    "emc-return-dtd": (
        lambda k: encode(
            _xml(f'<!DOCTYPE elmo SYSTEM "http://evil.example/e.dtd"><elmo xmlns="{ELMO_NS}"/>')
        ),
        READABLE,
    ),
    # Plain base64 of XML (peers send it too): no gzip, so no ratio check stops it before the parser.
    "emc-return-deep-nesting": (lambda k: base64.b64encode(_deep(50_000)).decode(), READABLE),
    "emc-return-huge-attribute": (lambda k: encode(_huge_attribute()), "is not signed"),
    "emc-return-invalid-utf8": (
        lambda k: encode(
            _xml(
                f'<elmo xmlns="{ELMO_NS}"><learner><givenNames>\udcff</givenNames></learner></elmo>'.replace(
                    "\udcff", "ZZ"
                )
            ).replace(b"ZZ", b"\xff\xfe")
        ),
        READABLE,
    ),
    "emc-return-gzip-bomb": (lambda k: _bomb(2 * 1024 * 1024), "too large"),
    "emc-return-namespace-flood": (
        lambda k: encode(_namespace_flood(signed(k.nordvik))),
        "too many namespaces",
    ),
    "emc-return-nested-gzip": (
        lambda k: base64.b64encode(gzip.compress(gzip.compress(signed(k.nordvik)))).decode(),
        READABLE,  # one layer is unpacked, the inner gzip is no XML
    ),
    "emc-return-truncated-gzip": (
        lambda k: base64.b64encode(gzip.compress(signed(k.nordvik))[:-200]).decode(),
        "could not be unpacked",
    ),
    "emc-return-malformed-base64": (lambda k: "H4sI" + "%" * 40 + MARKER, "could not be unpacked"),
    "emc-return-second-signature": (
        lambda k: encode(_doc(signed(k.nordvik), _second_signature)),
        NOT_ACCEPTED,
    ),
    "emc-return-signature-moved-down": (
        lambda k: encode(_doc(signed(k.nordvik), _signature_moved_down)),
        NOT_ACCEPTED,
    ),
    "emc-return-signed-nested-in-forged": (
        lambda k: encode(_doc(signed(k.nordvik), _signed_nested_in_forged)),
        NOT_ACCEPTED,
    ),
    "emc-return-extra-reference": (lambda k: encode(_doc(signed(k.nordvik), _extra_reference)), NOT_ACCEPTED),
    "emc-return-partial-signature": (
        lambda k: encode(_doc(signed(k.nordvik), _partial_reference)),
        NOT_ACCEPTED,
    ),
    "emc-return-object-in-signature": (
        lambda k: encode(_doc(signed(k.nordvik), _object_in_signature)),
        NOT_ACCEPTED,
    ),
    "emc-return-xslt-transform": (lambda k: encode(_doc(signed(k.nordvik), _xslt_transform)), NOT_ACCEPTED),
    "emc-return-xpath-filter-transform": (
        lambda k: encode(_doc(signed(k.nordvik), _xpath_filter)),
        NOT_ACCEPTED,
    ),
    "emc-return-foreign-namespace-signature": (
        lambda k: encode(_doc(signed(k.nordvik), _foreign_namespace_signature)),
        NOT_ACCEPTED,
    ),
    "emc-return-keyinfo-stranger": (lambda k: encode(signed(k.stranger)), NOT_ACCEPTED),
}
exercised(*VALUE_ATTACKS)


def transfer_of(client: TestClient, session_id: str) -> Transfer:
    with database_of(client).session() as s:
        transfer = s.scalars(select(Transfer).where(Transfer.session_id == session_id)).one()
        s.expunge(transfer)
        return transfer


def refused(
    client: TestClient,
    session_id: str,
    response: Any,
    words: str,
    caplog: pytest.LogCaptureFixture,
    *,
    echoed: bool = False,
) -> None:
    assert response.status_code == 400, response.text
    assert "The results were not accepted" in response.text
    assert words in response.text, re.findall(r"Details: (.*)</p>", response.text)
    no_traceback(response.text)
    assert echoed or MARKER not in response.text
    transfer = transfer_of(client, session_id)
    assert transfer.status == Status.FAILED
    assert transfer.elmo_xml is None and transfer.pdf is None and transfer.signer is None
    logs_clean(caplog)


@pytest.fixture
def student(shared_student: TestClient) -> TestClient:
    return shared_student


@pytest.mark.parametrize("case_id", sorted(VALUE_ATTACKS))
def test_hostile_elmo_values(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture, case_id: str
) -> None:
    build, words = VALUE_ATTACKS[case_id]
    session_id = start(student)
    value = build(keys)
    with nothing_stored(database_of(student)):
        response = answer(student, session_id, elmo=value)
    refused(student, session_id, response, words, watch_logs)


exercised(
    "emc-return-session-replayed",
    "emc-return-session-other-student",
    "emc-return-session-expired",
    "emc-return-session-unknown",
    "emc-return-session-oversized",
    "emc-return-fields-as-files",
    "emc-return-code-log-injection",
    "emc-return-oversized-post",
    "emc-return-message-markup",
)


def _no_transfer_touched(response: Any, status: int, words: str, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code == status, response.text
    assert "The results were not accepted" in response.text
    assert words in response.text
    no_traceback(response.text)
    logs_clean(caplog)


def test_a_replayed_session_id_is_refused(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    session_id = start(student)
    first = answer(student, session_id, elmo=encode(signed(keys.nordvik)))
    assert first.status_code == 303
    kept = transfer_of(student, session_id)
    assert kept.elmo_xml is not None
    with nothing_stored(database_of(student)):
        again = answer(student, session_id, elmo=encode(signed(keys.nordvik)))
    _no_transfer_touched(again, 409, "used once", watch_logs)
    assert transfer_of(student, session_id).returned_at == kept.returned_at


def test_another_students_session_id_is_refused(
    make_emc: Callable[..., TestClient], keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    asa, bo = make_emc(), make_emc()
    login(asa, "asa")
    login(bo, "bo")
    session_id = start(asa)
    with nothing_stored(database_of(bo)):
        response = answer(bo, session_id, elmo=encode(signed(keys.nordvik)))
    _no_transfer_touched(response, 403, "started by someone else", watch_logs)
    assert transfer_of(asa, session_id).status == Status.STARTED


def test_an_expired_session_id_is_refused(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    session_id = start(student)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with nothing_stored(database_of(student)), pytest.MonkeyPatch.context() as patch:
        patch.setattr("emrex.emc.student.utcnow", lambda: later)
        response = answer(student, session_id, elmo=encode(signed(keys.nordvik)))
    _no_transfer_touched(response, 410, "expired", watch_logs)
    assert transfer_of(student, session_id).status == Status.STARTED


@pytest.mark.parametrize(
    ("case_id", "session_id", "words"),
    [
        ("emc-return-session-unknown", "f" * 32, "no transfer was started"),
        ("emc-return-session-oversized", "f" * 32 + MARKER * 5000, "no valid sessionId"),
    ],
)
def test_unknown_session_ids_touch_nothing(
    student: TestClient,
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
    case_id: str,
    session_id: str,
    words: str,
) -> None:
    start(student)
    with nothing_stored(database_of(student)):
        response = answer(student, session_id, elmo=encode(signed(keys.nordvik)))
    _no_transfer_touched(response, 400, words, watch_logs)


def test_fields_sent_as_files_are_not_read(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    session_id = start(student)
    files = {"elmo": ("elmo.txt", encode(signed(keys.nordvik)).encode())}
    data = {"sessionId": session_id, "returnCode": "NCP_OK"}
    with nothing_stored(database_of(student)):
        response = student.post("/emrex/return", data=data, files=files, follow_redirects=False)
    refused(student, session_id, response, "sent no results", watch_logs)


def test_a_return_code_cannot_write_into_the_log(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    session_id = start(student)
    with nothing_stored(database_of(student)):
        response = answer(student, session_id, code=MARKER + "\nINFO forged line")
    # The page quotes the code back (escaped) to the one who sent it; the log does not.
    refused(student, session_id, response, "unknown return code", watch_logs, echoed=True)
    assert not any("forged line" in r.getMessage() for r in watch_logs.records)


def test_an_oversized_return_post_is_refused_before_it_is_read(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    client = make_emc(make_settings(limits={"max_post_mb": 1}))
    login(client)
    session_id = start(client)
    with nothing_stored(database_of(client)):
        response = answer(client, session_id, elmo="A" * (2 * 1024 * 1024) + MARKER)
    assert response.status_code == 413
    no_traceback(response.text)
    logs_clean(watch_logs)
    assert transfer_of(client, session_id).status == Status.STARTED


def test_markup_in_a_huge_return_message_is_clipped_and_escaped(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    session_id = start(student)
    message = "<script>alert(1)</script>" + MARKER + "x" * 1_000_000
    response = answer(student, session_id, "NCP_ERROR", message=message)
    assert response.status_code == 303
    transfer = transfer_of(student, session_id)
    assert transfer.status == Status.EMP_ERROR and transfer.elmo_xml is None
    page = student.get(response.headers["location"])
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert len(page.text) < 200_000
    no_traceback(page.text)
    logs_clean(watch_logs)


exercised(
    "emc-return-sha1-rejected",
    "emc-return-certificate-expired",
    "emc-return-certificate-not-yet-valid",
    "emc-return-registry-changed-certificate",
    "emc-return-markup-in-every-text-field",
)


class MutableRegistry:
    """The registry an EMC reads, changed between the start of a transfer and its answer."""

    def __init__(self, certificate: Any) -> None:
        self.certificate = certificate

    def __call__(self) -> Registry:
        return Registry(
            countries=(Country("SE", "Sweden", False),),
            emps=(Emp("NORDVIK", "SE", NORDVIK, ("Nordvik University",), (self.certificate,)),),
        )


@pytest.fixture
def ca() -> Issued:
    return make_ca("Hostile test CA")


@pytest.fixture
def registry_emc(make_settings: Callable[..., EmcSettings]) -> Iterator[Callable[..., TestClient]]:
    made: list[TestClient] = []

    def make(registry: MutableRegistry, **tables: Any) -> TestClient:
        app = create_emc_app(make_settings(**tables), registries=Registries([registry]), background=False)
        client = TestClient(app, base_url=BASE_URL)
        made.append(client)
        login(client)
        return client

    yield make
    for client in made:
        client.close()
        database_of(client).dispose()


def _signed_by(issued: Issued) -> bytes:
    return Signer(issued.key, issued.certificate).sign(write_elmo(fresh(courses=3)))


def test_sha1_is_refused_under_a_rejecting_policy(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    oracles = pytest.importorskip("tests.trust.oracles")
    document = oracles.xmlsec_sign(
        write_elmo(fresh(courses=3)), keys.nordvik, signature=algorithms.RSA_SHA1, digest=algorithms.SHA1
    )
    client = make_emc(make_settings(verification={"sha1": "reject"}))
    login(client)
    session_id = start(client)
    with nothing_stored(database_of(client)):
        response = answer(client, session_id, elmo=encode(document))
    refused(client, session_id, response, "SHA-1", watch_logs)


@pytest.mark.parametrize(
    ("case_id", "not_before", "words"),
    [
        ("emc-return-certificate-expired", dt.timedelta(days=-10), "expired"),
        ("emc-return-certificate-not-yet-valid", dt.timedelta(days=10), "not valid before"),
    ],
)
def test_certificates_outside_their_validity_are_refused(
    ca: Issued,
    registry_emc: Callable[..., TestClient],
    watch_logs: pytest.LogCaptureFixture,
    case_id: str,
    not_before: dt.timedelta,
    words: str,
) -> None:
    emp = issue(ca, "Nordvik EMP", days=1, not_before=dt.datetime.now(dt.UTC) + not_before)
    client = registry_emc(MutableRegistry(emp.certificate))
    session_id = start(client)
    value = encode(_sign_ignoring_validity(emp))
    with nothing_stored(database_of(client)):
        response = answer(client, session_id, elmo=value)
    refused(client, session_id, response, words, watch_logs)


def _sign_ignoring_validity(issued: Issued) -> bytes:
    # Our signer refuses out-of-date certificates; libxmlsec signs with the key whatever the dates say
    # (an attacker with a stolen old key, or a signer with a wrong clock).
    oracles = pytest.importorskip("tests.trust.oracles")
    signed_xml: bytes = oracles.xmlsec_sign(write_elmo(fresh(courses=3)), issued)
    return signed_xml


def test_a_certificate_changed_in_the_registry_after_the_start_is_not_trusted(
    ca: Issued, keys: Keys, registry_emc: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    registry = MutableRegistry(keys.nordvik.certificate)
    client = registry_emc(registry)
    session_id = start(client)
    # The registry (or whoever took it over) now serves an attacker's certificate for Nordvik.
    attacker = issue(ca, "Nordvik EMP", organization="Nordvik University", country="SE")
    registry.certificate = attacker.certificate
    with nothing_stored(database_of(client)):
        response = answer(client, session_id, elmo=encode(_signed_by(attacker)))
    refused(client, session_id, response, NOT_ACCEPTED, watch_logs)


FREE_TEXT = {
    "title",
    "description",
    "identifier",
    "placeOfBirth",
    "birthName",
    "streetName",
    "locality",
    "resultLabel",
    "subjectArea",
    "iscedCode",
}
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_markup_in_every_text_field_and_in_names_is_shown_escaped(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    password_hash: str,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    given, family = f"{SCRIPT}{MARKER}", f"<b>{MARKER}</b>"
    account = {
        "username": "mallory",
        "password_hash": password_hash,
        "given_names": given,
        "family_name": family,
        "birth_date": ASA["birth_date"],
    }
    staff = {"username": "staff", "password_hash": password_hash, "given_names": "S", "family_name": "T"}
    staff["roles"] = ["staff"]  # type: ignore[assignment]
    client = make_emc(make_settings(login={"demo": {"accounts": [account, staff]}}))
    login(client, "mallory")
    session_id = start(client)
    root = etree.fromstring(write_elmo(fresh(courses=3)))
    changed = 0
    for element in root.iter():
        name = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if name in FREE_TEXT and element.text and element.text.strip():
            element.text = SCRIPT + element.text
            changed += 1
        elif name == "givenNames" and element.getparent() is not None:
            element.text = given
        elif name == "familyName":
            element.text = family
    assert changed > 20
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(etree.tostring(root, encoding="UTF-8"))
    response = answer(client, session_id, elmo=encode(document))
    assert response.status_code == 303, response.text
    staff_client = make_emc(make_settings(login={"demo": {"accounts": [account, staff]}}))
    login(staff_client, "staff")
    transfer_id = response.headers["location"].rsplit("/", 1)[1]
    responses = [
        client.get(response.headers["location"]),
        client.get("/"),
        staff_client.get(f"/staff/transfers/{transfer_id}"),
        staff_client.get("/staff"),
    ]
    pages = [r.text for r in responses]
    assert [r.status_code for r in responses] == [200] * 4
    for page in pages:
        assert "<script>" not in page and "<img src=x" not in page and "<b>" not in page
        no_traceback(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert re.search(r"&lt;b&gt;" + MARKER, pages[0])
    logs_clean(watch_logs)


exercised(
    "emc-return-comment-in-signed-name",
    "emc-return-too-many-fields",
    "emc-return-broken-multipart",
    "emc-return-invalid-percent-encoding",
)


def test_a_comment_injected_into_a_signed_name_does_not_cut_it(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    document = signed(keys.nordvik)
    injected = document.replace(b"<givenNames>\xc3\x85sa", b"<givenNames>\xc3\x85<!-- x -->sa", 1)
    assert injected != document
    session_id = start(student)
    response = answer(student, session_id, elmo=encode(injected))
    assert response.status_code == 303, response.text
    transfer = transfer_of(student, session_id)
    # Read from the signed tree: the whole name, so the identity check sees what was signed.
    assert transfer.identity_verdict == "match"
    assert ASA["given_names"] in student.get(response.headers["location"]).text
    logs_clean(watch_logs)


def _raw(client: TestClient, body: bytes, content_type: str) -> Any:
    quiet = TestClient(client.app, base_url=BASE_URL, raise_server_exceptions=False)
    return quiet.post(RETURN, content=body, headers={"content-type": content_type}, follow_redirects=False)


RETURN = "/emrex/return"


@pytest.mark.parametrize(
    ("case_id", "body", "content_type"),
    [
        (
            "emc-return-too-many-fields",
            ("&".join(f"f{i}=x" for i in range(5000)) + "&returnCode=NCP_OK").encode(),
            "application/x-www-form-urlencoded",
        ),
        (
            "emc-return-broken-multipart",
            b"--x\r\nContent-Disposition: form-data; name=",
            "multipart/form-data; boundary=x",
        ),
        (
            "emc-return-invalid-percent-encoding",
            b"sessionId=%FF%FE%00&returnCode=%C0%AF&elmo=%",
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_malformed_form_bodies_get_a_400(
    student: TestClient, watch_logs: pytest.LogCaptureFixture, case_id: str, body: bytes, content_type: str
) -> None:
    session_id = start(student)
    with nothing_stored(database_of(student)):
        response = _raw(
            student,
            body.replace(b"returnCode=NCP_OK", f"sessionId={session_id}&returnCode=NCP_OK".encode()),
            content_type,
        )
    assert response.status_code == 400, response.text[:300]
    no_traceback(response.text)
    assert transfer_of(student, session_id).status == Status.STARTED
    logs_clean(watch_logs)


exercised("emc-return-attachment-not-a-pdf")


def test_an_attachment_that_claims_to_be_a_pdf_but_is_html_is_never_served(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    root = etree.fromstring(write_elmo(fresh(courses=3)))
    html = base64.b64encode(b"<html><script>alert(document.cookie)</script></html>").decode()
    contents = [e for e in root.iter(E + "content")]
    assert contents
    for content in contents:
        content.text = f"data:application/pdf;base64,{html}"
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(etree.tostring(root, encoding="UTF-8"))
    session_id = start(student)
    response = answer(student, session_id, elmo=encode(document))
    assert response.status_code == 303, response.text
    assert transfer_of(student, session_id).pdf is None
    download = student.get(response.headers["location"] + "/transcript.pdf")
    assert download.status_code == 404
    assert "<script>alert(document.cookie)" not in download.text
    no_traceback(download.text)
    logs_clean(watch_logs)


exercised("emc-return-verification-flood")


def test_answers_beyond_the_verification_slots_wait_then_get_a_503_and_change_nothing(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    client = make_emc(make_settings(limits={"max_concurrent_verifications": 1}))
    login(client)
    session_id = start(client)
    gate = client.app.state.emc_service.gate  # type: ignore[attr-defined]
    assert gate.slots == 1
    gate.wait_seconds = 0.05
    value = encode(signed(keys.nordvik))
    with nothing_stored(database_of(client)), gate.slot():  # a verification is running
        response = answer(client, session_id, elmo=value)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"
    assert "send them again in a minute" in response.text
    no_traceback(response.text)
    kept = transfer_of(client, session_id)
    assert (kept.status, kept.elmo_xml, kept.failure) == (Status.STARTED, None, None)
    logs_clean(watch_logs)
    assert answer(client, session_id, elmo=value).status_code == 303  # sent again: accepted


exercised(
    "emc-return-answer-replayed",
    "emc-return-old-document-resigned",
    "emc-return-future-dated",
    "emc-return-same-answer-two-transfers",
    "emc-return-results-imported-already",
)


def _credentials(client: TestClient) -> int:
    from emrex.emc.models import ForeignCredential

    with database_of(client).session() as s:
        return len(list(s.scalars(select(ForeignCredential))))


def _import(client: TestClient, keys: Keys, elmo: Any = None) -> int:
    session_id = start(client)
    response = answer(client, session_id, elmo=encode(signed(keys.nordvik, elmo)))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(location).text)
    assert token
    client.post(location + "/confirm", data={"csrf_token": token.group(1)})
    return int(location.rsplit("/", 1)[1])


@pytest.fixture
def own(make_emc: Callable[..., TestClient]) -> TestClient:
    client = make_emc()  # a student of their own: what was imported before matters here
    login(client)
    return client


def test_a_finished_transfers_answer_posted_into_a_new_transfer_is_refused(
    own: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    first = _import(own, keys)
    downloaded = own.get(f"/transfers/{first}/elmo.xml").content
    imported = _credentials(own)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)  # replayed some time later
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("emrex.emc.store.utcnow", lambda: later)
        session_id = start(own)
    with nothing_stored(database_of(own)):
        response = answer(own, session_id, elmo=encode(downloaded))
    refused(own, session_id, response, "before this transfer started", watch_logs)
    assert _credentials(own) == imported


@pytest.mark.parametrize(
    ("case_id", "generated", "words"),
    [
        (
            "emc-return-old-document-resigned",
            dt.datetime(2015, 12, 17, 10, 27, tzinfo=dt.UTC),
            "generated on 2015-12-17 10:27+00:00, before this transfer started",
        ),
        (
            "emc-return-future-dated",
            dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            "later than their arrival",
        ),
    ],
)
def test_documents_dated_outside_their_transfer_are_refused(
    student: TestClient,
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
    case_id: str,
    generated: dt.datetime,
    words: str,
) -> None:
    import dataclasses

    dated = dataclasses.replace(fresh(courses=3), generated_date=generated)
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(write_elmo(dated))
    session_id = start(student)
    with nothing_stored(database_of(student)):
        response = answer(student, session_id, elmo=encode(document))
    refused(student, session_id, response, words, watch_logs)


def test_one_answer_posted_into_two_transfers_is_taken_once(
    own: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    first, second = start(own), start(own)
    value = encode(signed(keys.nordvik))  # generated after both started
    kept = answer(own, first, elmo=value)
    assert kept.status_code == 303
    first_id = kept.headers["location"].rsplit("/", 1)[1]
    with nothing_stored(database_of(own)):
        response = answer(own, second, elmo=value)
    refused(own, second, response, f"received already in transfer {first_id}", watch_logs)


def test_a_new_document_of_results_imported_before_is_refused(
    own: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    first = _import(own, keys)
    imported = _credentials(own)
    session_id = start(own)
    with nothing_stored(database_of(own)):
        response = answer(own, session_id, elmo=encode(signed(keys.nordvik)))
    refused(own, session_id, response, f"were imported already (transfer {first})", watch_logs)
    assert _credentials(own) == imported


exercised("emc-return-issuer-not-served")


def test_results_naming_an_institution_the_emp_does_not_serve_wait_for_staff(
    make_emc: Callable[..., TestClient], keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    from emrex.elmo import model as m
    from emrex.emc.models import ForeignCredential

    # Signed with the key of the EMP the student chose (Nordvik), naming Harvard as the issuer.
    harvard = m.Issuer(
        identifiers=(m.Identifier("schac", "harvard.edu"),),
        titles=(m.LangText("Harvard University", "en"),),
        url="https://www.harvard.edu",
        country="US",
    )
    sample = fresh(courses=3)
    forged = dataclasses.replace(sample, reports=(dataclasses.replace(sample.reports[0], issuer=harvard),))
    client, staff = make_emc(), make_emc()
    login(client)
    response = answer(client, start(client), elmo=encode(signed(keys.nordvik, forged)))
    assert response.status_code == 303, response.text
    reason = "'Harvard University' (schac harvard.edu) is in US, but NORDVIK serves institutions in SE"
    location = response.headers["location"]
    page = client.get(location).text
    assert reason in html.unescape(page) and "a staff member checks them" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(location + "/confirm", data={"csrf_token": token.group(1)})
    transfer_id = int(location.rsplit("/", 1)[1])
    with database_of(client).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.REVIEW
        assert list(s.scalars(select(ForeignCredential))) == []
    login(staff, "staff")
    assert reason in html.unescape(staff.get(f"/staff/transfers/{transfer_id}").text)
    logs_clean(watch_logs)


exercised("emc-return-value-longer-than-its-column")


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("grade", "a grade of 300 characters (at most 255 are stored)"),
        ("code", "a course code of 300 characters (at most 255 are stored)"),
        ("credits", "credits of 45 characters (at most 40 are stored)"),
    ],
)
def test_a_signed_value_longer_than_its_column_is_refused_at_the_return(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    request: pytest.FixtureRequest,
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
    database: str,
    field: str,
    words: str,
) -> None:
    import dataclasses
    from decimal import Decimal

    from emrex.elmo import model as m

    sample = fresh(courses=3)
    report = sample.reports[0]
    programme = report.learning_opportunity_specifications[0]
    module = programme.has_part[0]
    course = module.has_part[0]
    assert course.specifies is not None
    if field == "grade":
        course = dataclasses.replace(
            course, specifies=dataclasses.replace(course.specifies, result_label="A" * 300)
        )
    elif field == "code":
        course = dataclasses.replace(course, identifiers=(m.Identifier("local", "C" * 300),))
    else:
        credit = m.Credit("ECTS", Decimal("1" * 45))
        loi = dataclasses.replace(course.specifies, credits=(credit,))
        course = dataclasses.replace(course, specifies=loi)
    module = dataclasses.replace(module, has_part=(course, *module.has_part[1:]))
    programme = dataclasses.replace(programme, has_part=(module, *programme.has_part[1:]))
    report = dataclasses.replace(report, learning_opportunity_specifications=(programme,))
    document = signed(keys.nordvik, dataclasses.replace(sample, reports=(report, *sample.reports[1:])))
    tables: dict[str, Any] = {}
    if database == "postgresql":
        tables["database_url"] = request.getfixturevalue("postgres_schema")()
    client = make_emc(make_settings(**tables))
    login(client)
    session_id = start(client)
    with nothing_stored(database_of(client)):
        response = answer(client, session_id, elmo=encode(document))
    refused(client, session_id, response, words, watch_logs)


exercised("emc-return-undated-document", "emc-return-large-pdf")


def test_a_document_without_a_generation_date_is_refused(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    xml = write_elmo(fresh(courses=3))
    undated = re.sub(rb"<generatedDate>[^<]*</generatedDate>", b"", xml)  # our writer insists on one
    assert undated != xml
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(undated)
    session_id = start(student)
    with nothing_stored(database_of(student)):
        response = answer(student, session_id, elmo=encode(document))
    refused(student, session_id, response, "no generation date", watch_logs)


def test_an_answer_with_a_pdf_beyond_libxml2s_text_limit_is_accepted(
    student: TestClient, keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    from emrex.elmo import model as m

    pdf = b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024)
    sample = fresh(courses=3)
    transcript = dataclasses.replace(
        sample.attachments[0], contents=(m.LangText(m.encode_data_uri("application/pdf", pdf), "en"),)
    )
    session_id = start(student)
    value = encode(signed(keys.nordvik, dataclasses.replace(sample, attachments=(transcript,))))
    response = answer(student, session_id, elmo=value)
    assert response.status_code == 303, response.text[:300]
    assert student.get(response.headers["location"] + "/transcript.pdf").content == pdf
    logs_clean(watch_logs)
