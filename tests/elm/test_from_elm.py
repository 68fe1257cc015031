"""ELM -> ELMO: lossless from a Converted credential (the data provider's signature still verifies),
mapped for credentials made elsewhere (DC4EU's and the EC's samples), refused with reasons when ELMO's
required data are missing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from emrex.elm import (
    ConversionRefused,
    ElmParseError,
    Sealer,
    convert,
    elm_to_elmo,
    elmo_to_elm,
    read_document,
)
from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.errors import DataUriError, ElmoValidationError
from emrex.elmo.model import encode_data_uri
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo
from emrex.trust import Signer, verify
from emrex.trust.ca import issue, make_ca

INTEROP = {
    "signed-valid/dk-emrex__elmo-tomcat-signed.xml",
    "signed-invalid/fi-emrex__kaisa.xml",
    "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml",
    "unsigned/fi-ncp__my_elmo.xml",
    "transport/dk-emrex__wl.txt",
}
SAMPLES = [
    "converter-dc4eu/uio-tor.elm.json",
    "converter-dc4eu/fi-centria-simple.elm.json",
    "converter-dc4eu/se-courses-hierarchy.elm.json",
    "edc-examples/Sample-CertOfPart-signed.jsonld",
    "edc-examples/Sample-CertOfPart-unsigned.jsonld",
    "edc-examples/Sample-MC-Annex1-signed.jsonld",
    "edc-examples/Sample-MC-Annex1-unsigned.jsonld",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_elm_made_elsewhere_converts_to_elmo_that_the_xsd_accepts(
    samples_elm: Path, schema_dir: Path, name: str
) -> None:
    result = convert((samples_elm / name).read_bytes())
    assert result.to == "elmo" and not result.lossless
    report = validate_xsd(result.output, schema_dir, version="1.7.0")
    assert not report.errors, report.errors[:3]
    elmo = read_elmo(result.output).elmo
    assert elmo.learner.family_name and elmo.reports


def test_dc4eu_uio_output_reads_back_as_the_courses_it_was_made_from(samples_elm: Path) -> None:
    elmo = read_elmo(convert((samples_elm / "converter-dc4eu/uio-tor.elm.json").read_bytes()).output).elmo
    original = read_elmo((samples_elm / "converter-dc4eu/uio-tor.elmo.xml").read_bytes()).elmo
    got = [
        (los.title("en"), los.identifier("local"), los.specifies.result_label, los.specifies.ects)
        for _, _, los in elmo.iter_los()
        if los.specifies
    ]
    want = [
        (los.title("en"), los.identifier("local"), los.specifies.result_label, los.specifies.ects)
        for _, _, los in original.iter_los()
        if los.specifies
    ]
    assert got == want
    assert elmo.learner.birth_date == original.learner.birth_date
    assert elmo.reports[0].issuer.identifier("schac") == "uio.no"


def test_what_has_no_elmo_home_is_named_with_its_path(samples_elm: Path) -> None:
    result = convert((samples_elm / "edc-examples/Sample-CertOfPart-unsigned.jsonld").read_bytes())
    assert "credentialSubject.hasClaim.workload (LearningActivity): no ELMO home; left out" in result.warnings


def test_missing_required_elmo_data_is_refused_naming_it(samples_elm: Path) -> None:
    data = (samples_elm / "edc-examples/mynextid-degree-certificate-signed.jsonld").read_bytes()
    with pytest.raises(ConversionRefused, match="only the full name 'John Doe'"):
        convert(data)
    credential = json.loads((samples_elm / "converter-dc4eu/uio-tor.elm.json").read_bytes())
    for claim in credential["credentialSubject"]["hasClaim"]:
        del claim["awardedBy"]["awardingBody"]["homepage"]
    with pytest.raises(ConversionRefused, match="has no homepage, which ELMO requires as its url"):
        elm_to_elmo(credential)


def test_a_sealed_credential_is_read_without_verifying_and_says_so(samples_elm: Path) -> None:
    document = read_document((samples_elm / "edc-examples/Sample-CertOfPart-signed.jsonld").read_bytes())
    assert document.kind.value == "sealed ELM"
    assert "not verified" in document.notes[0]
    assert document.credential is not None and document.credential["id"].startswith("urn:credential:")


def test_not_a_credential_is_refused() -> None:
    with pytest.raises(ElmParseError, match="not an ELM credential"):
        elm_to_elmo({"type": "Person"})


def test_converting_back_gives_the_original_bytes_and_their_signature_verifies(sealer: Sealer) -> None:
    ca = make_ca("ELM test CA")
    emp = issue(ca, "EMP ELM")
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(6)))
    credential = convert(signed, sealer=sealer).output
    back = convert(credential)
    assert back.lossless and back.output == signed
    assert verify(back.output, emp.certificate)


def _normalised(elmo: m.Elmo) -> m.Elmo:
    """The model less what ELM has no home for (documented in docs/ELM.md)."""
    learner = elmo.learner
    address = learner.current_address
    if address is not None:
        lines = [*address.address_lines]
        street = " ".join(x for x in (address.street_name, address.building_number) if x)
        lines += [x for x in (street, address.postal_code, address.locality, address.region) if x]
        address = m.Address(address_lines=(", ".join(lines),) if lines else (), country=address.country)
        if address.country is None:
            address = None
    learner = dataclasses.replace(
        learner, place_of_birth=None, current_address=address, alternative_name=None
    )
    reports = tuple(
        dataclasses.replace(r, attachments=_decodable(r.attachments), grading_schemes=_used_schemes(r))
        for r in elmo.reports
    )
    return dataclasses.replace(
        elmo,
        learner=learner,
        reports=reports,
        attachments=_decodable(elmo.attachments),
        generated_date=None,
        groups=None,
        extension=None,
    )


def _used_schemes(report: m.Report) -> tuple[m.GradingScheme, ...]:
    """Grading schemes some result uses (an ELM grading scheme hangs off an assessment)."""
    used = {los.specifies.grading_scheme_local_id for _, los in report.iter_los() if los.specifies}
    return tuple(s for s in report.grading_schemes if s.local_id in used)


def _decodable(attachments: tuple[m.Attachment, ...]) -> tuple[m.Attachment, ...]:
    """Attachments less contents that are not data URIs (an ELM media object needs real content)."""
    out = []
    for attachment in attachments:
        contents = []
        for i, content in enumerate(attachment.contents):
            try:
                kind, raw = attachment.payload(i)
            except DataUriError:
                continue
            contents.append(m.LangText(encode_data_uri(kind, raw), content.lang))
        if contents:
            out.append(dataclasses.replace(attachment, contents=tuple(contents), extension=None))
    return tuple(out)


def _same(elmo: m.Elmo, sealer: Sealer) -> None:
    credential = json.loads(elmo_to_elm(elmo, sealer).to_json())  # no original: the structured mapping
    back = elm_to_elmo(credential, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).elmo
    assert _normalised(back) == _normalised(elmo)


@pytest.mark.parametrize("courses", [1, 2, 9, 25])
def test_the_structured_mapping_gives_back_the_same_model(sealer: Sealer, courses: int) -> None:
    _same(sample_elmo(courses, seed=courses), sealer)


@pytest.mark.parametrize("name", sorted(INTEROP))
def test_interop_documents_round_trip(interop_dir: Path, sealer: Sealer, name: str) -> None:
    data = codec.decode((interop_dir / name).read_bytes())
    assert convert(convert(data, sealer=sealer).output).output == data  # the Converted profile
    elmo = _without_ds(read_elmo(data).elmo)
    try:
        write_elmo(elmo)
    except ElmoValidationError as exc:  # the document lacks what ELMO requires: so does its ELM
        with pytest.raises(ConversionRefused):
            _same(elmo, sealer)
        assert exc.problems
        return
    _same(elmo, sealer)


def _without_ds(elmo: m.Elmo) -> Any:
    reports = []
    for report in elmo.reports:
        reports.append(
            dataclasses.replace(
                report,
                learning_opportunity_specifications=tuple(
                    _strip(los) for los in report.learning_opportunity_specifications
                ),
            )
        )
    return dataclasses.replace(elmo, reports=tuple(reports), signed=False)


def _strip(los: m.LearningOpportunitySpecification) -> m.LearningOpportunitySpecification:
    loi = los.specifies
    if loi is not None:
        loi = dataclasses.replace(loi, extension=None, diploma_supplement=None)
    return dataclasses.replace(
        los,
        specifies=loi,
        extension=None,
        specifies_extension=None,
        has_part=tuple(_strip(c) for c in los.has_part),
    )
