"""Golden tests against the reference messages of numerique-gouv/oots-france (samples-elm/oots): they
read and check clean, and what we write for the same values is the same document, element by element."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from emrex.oots import (
    Agent,
    EbmsError,
    EvidencePart,
    EvidenceType,
    Identifier,
    Kind,
    NaturalPerson,
    Role,
    Text,
    build_error,
    build_request,
    build_response,
    check_message,
    read_error,
    read_messaging,
    read_request,
    read_response,
)
from emrex.oots.domibus import build_submit, read_submit
from emrex.oots.ebms import build_messaging
from emrex.oots.model import OBJECT_NOT_FOUND
from emrex.oots.names import SDG, V2
from emrex.oots.regrep import child
from emrex.oots.request import _evidence_type
from tests.oots.support import shape, tree

pytestmark = pytest.mark.usefixtures("oots_dir")

WHEN = dt.datetime(2026, 8, 6, 10, 0, tzinfo=dt.UTC)
EAS = "urn:cef.eu:names:identifier:EAS:0009"
DINUM = Agent(
    Identifier("00000000000001", EAS), (Text("Direction interministérielle du numérique", "FR"),), "FR"
)
MINISTRY = Agent(Identifier("00000000000002", EAS), (Text("Ministère de l'enseignement supérieur", "FR"),))
JEAN = NaturalPerson("Dupont", "Jean", dt.date(1992, 10, 22), "FR/DE/123123123", "eidas")
BIRTH = EvidenceType(
    "41170824-15d9-4c16-984e-63b75b937b8c",
    "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e",
    titles=(Text("Certificate of Birth", "EN"),),
)


def uuid(n: int) -> str:
    return f"1a2b3c4d-0000-4000-8000-{n:012d}"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("requete.xml", Kind.REQUEST), ("reponse.xml", Kind.RESPONSE), ("erreur.xml", Kind.ERROR)],
)
def test_the_reference_messages_read_and_break_no_rule(oots_dir: Path, name: str, kind: Kind) -> None:
    result = check_message((oots_dir / name).read_bytes())
    assert (result.kind, result.version, result.declared) == (kind, V2, V2)
    assert result.violations == ()


def test_the_reference_request_reads_into_the_model(oots_dir: Path) -> None:
    request = read_request((oots_dir / "requete.xml").read_bytes()).request
    assert request is not None
    assert (request.id, request.procedure, request.possibility_for_preview) == (
        f"urn:uuid:{uuid(0)}",
        "T3",
        False,
    )
    assert request.explicit_request_given is True
    assert [a.classification for a in request.requesters] == ["ER", "IP"]
    assert request.requester is not None and request.requester.identifier == Identifier("00000000000002", EAS)
    assert request.provider is not None and request.provider.identifier.value == "DE73524311"
    assert request.person == NaturalPerson(
        "Dupont", "Jean", dt.date(1992, 10, 22), "FR/DE/123123123", "eidas", "High"
    )
    assert request.evidence_type is not None and request.evidence_type.formats == ("application/pdf",)


def test_a_request_written_back_is_the_reference_request(oots_dir: Path) -> None:
    original = tree(oots_dir / "requete.xml")
    request = read_request((oots_dir / "requete.xml").read_bytes()).request
    assert request is not None
    assert shape(tree(build_request(request))) == shape(original)


def test_our_evidence_response_has_the_reference_shape(oots_dir: Path) -> None:
    ids = iter([uuid(16), uuid(17), uuid(19)])
    pdf = EvidencePart(
        b"%PDF-1.3", "application/pdf", Role.MAIN, "Evidence", f"{uuid(3)}@pdf.oots.fr", uuid(18)
    )
    ours = build_response(
        request_id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797",
        response_id=uuid(4),
        issued=WHEN,
        provider=DINUM,
        requester=MINISTRY,
        subject=JEAN,
        evidence_type=BIRTH,
        parts=[pdf],
        issuing_date=dt.date(1970, 3, 3),
        new_id=lambda: next(ids),
    )
    assert shape(tree(ours)) == shape(tree(oots_dir / "reponse.xml"))
    assert check_message(ours).violations == ()
    read = read_response(ours)
    assert [(d.role, d.href, d.evidence_identifier) for d in read.documents] == [
        ("MainEvidence", f"cid:{uuid(3)}@pdf.oots.fr", uuid(18))
    ]


def test_our_error_response_has_the_reference_shape(oots_dir: Path) -> None:
    ours = build_error(
        kind=OBJECT_NOT_FOUND,
        request_id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797",
        response_id=uuid(7),
        timestamp=WHEN,
        error_provider=DINUM,
        requester=MINISTRY,
    )
    assert shape(tree(ours)) == shape(tree(oots_dir / "erreur.xml"))
    reference = read_error((oots_dir / "erreur.xml").read_bytes())
    assert reference.exception is not None and reference.exception.code == "EDM:ERR:0004"
    assert read_error(ours) == reference


@pytest.mark.parametrize("name", ["requete.entete.xml", "reponse.entete.xml", "erreur.entete.xml"])
def test_the_reference_headers_read_and_are_written_back_the_same(oots_dir: Path, name: str) -> None:
    original = tree(oots_dir / name)
    header = read_messaging(original)
    assert header.specification == V2 and header.service == "QueryManager"
    assert all(p.href.startswith("cid:") for p in header.parts)
    assert shape(build_messaging(header)) == shape(original)


def test_the_reference_headers_carry_the_actions_of_an_exchange(oots_dir: Path) -> None:
    actions = [
        read_messaging(tree(oots_dir / n)).action for n in ("requete.entete.xml", "reponse.entete.xml")
    ]
    assert actions == ["ExecuteQueryRequest", "ExecuteQueryResponse"]
    error = read_messaging(tree(oots_dir / "erreur.entete.xml"))
    assert error.action == "ExceptionResponse"
    response = read_messaging(tree(oots_dir / "reponse.entete.xml"))
    assert [p.mime_type for p in response.parts] == ["application/x-ebrs+xml", "application/pdf"]


def _repaired_submission(oots_dir: Path) -> bytes:
    # The reference wraps the PDF's base64 in literal parentheses, an artefact of the code that wrote
    # it (oots-france's fixture README says so); a strict reader refuses it, so the test repairs it.
    raw = (oots_dir / "reponse.soumission.domibus-ws.xml").read_bytes()
    return raw.replace(b"<value>(JVBER", b"<value>JVBER").replace(b"T0YK)</value>", b"T0YK</value>")


def test_the_reference_submission_reads_once_its_known_artefact_is_repaired(oots_dir: Path) -> None:
    with pytest.raises(EbmsError, match=r"pdf\.oots\.fr is not base64"):
        read_submit((oots_dir / "reponse.soumission.domibus-ws.xml").read_bytes())
    header, parts = read_submit(_repaired_submission(oots_dir))
    assert header == read_messaging(tree(oots_dir / "reponse.entete.xml"))
    body, pdf = parts
    assert shape(tree(body.content)) == shape(tree(oots_dir / "reponse.xml"))
    assert pdf.content_type == "application/pdf" and pdf.content.startswith(b"%PDF-1.3")


def test_our_submission_has_the_reference_shape(oots_dir: Path) -> None:
    header, parts = read_submit(_repaired_submission(oots_dir))
    ours = shape(tree(build_submit(header, parts)))
    reference = shape(tree(_repaired_submission(oots_dir)))
    differences = [(a, b) for a, b in zip(ours, reference, strict=True) if a != b]
    # We name the media type of every payload; the reference leaves it out on the PDF (a reader falls
    # back on the header's MimeType). Everything else, the base64 values included, is the same.
    assert [(a[0], dict(a[1]).get("contentType"), dict(b[1]).get("contentType")) for a, b in differences] == [
        ("payload", "application/pdf", None)
    ]


def test_the_common_services_answers_read(oots_dir: Path) -> None:
    """The Data Service Directory answer describes an evidence type as a request carries it, and the
    access service (the provider's gateway) that speaks EDM 2.0: what a provider registers."""
    root = tree(oots_dir / "dsd_data_services_fi.xml")
    described = next(root.iter(SDG + "DataServiceEvidenceType"))
    offered = _evidence_type(described)
    assert offered.identifier == "41170824-15d9-4c16-984e-63b75b937b8c"
    assert offered.formats == ("application/pdf",)
    service = child(described, SDG + "AccessService")
    assert service is not None and service.findtext(SDG + "ConformsTo") == V2
    for name in ("eb_evidence_types_fi.xml", "eb_requirements_fr.xml"):
        assert etree.QName(tree(oots_dir / name)).localname == "QueryResponse"


def test_the_education_requirements_name_procedures_of_the_code_list(oots_dir: Path) -> None:
    from emrex.oots.names import PROCEDURES_V2

    lines = (oots_dir / "education-requirements-acc.tsv").read_text(encoding="utf-8").splitlines()[1:]
    codes = {code for line in lines for code in line.split("\t")[2].split(",")}
    assert codes <= set(PROCEDURES_V2)
