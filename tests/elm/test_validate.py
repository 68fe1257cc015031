"""EDC validation: our credentials conform, verdicts equal pyshacl's with RDFS inference, problems read
as words, and what cannot be checked is said."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emrex.elm import (
    RemoteContextRefused,
    Sealer,
    ShapesLibrary,
    ShapesUnavailable,
    elmo_to_elm,
    read_document,
    reference_validate,
    validate_credential,
)
from emrex.elm.validate import verdicts
from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo

# pyshacl with RDFS inference takes seconds a document: a credential DC4EU made (issuer faults) and the
# EC sample whose organisation RDFS entailment types as a Person (groupMemberOf has domain Person).
# bench/elm_bench.py compares the verdicts on every sample in each run.
PARITY = ["converter-dc4eu/uio-tor.elm.json", "edc-examples/Sample-MC-Annex1-signed.jsonld"]


def _credential(path: Path) -> dict[str, Any]:
    document = read_document(path.read_bytes())
    assert document.credential is not None
    return document.credential


@pytest.mark.parametrize("courses", [1, 8, 60])
def test_our_credentials_conform(library: ShapesLibrary, sealer: Sealer, courses: int) -> None:
    elmo = sample_elmo(courses, seed=courses)
    for original in (None, b"<elmo/>"):
        report = validate_credential(elmo_to_elm(elmo, sealer, original=original).credential, library=library)
        assert report.conforms, [str(p) for p in report.problems[:5]]
    assert "EDC-converted.ttl" in report.shapes


@pytest.mark.parametrize(
    "name",
    [
        "signed-valid/dk-emrex__elmo-tomcat-signed.xml",
        "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml",
        "signed-invalid/fi-emrex__kaisa.xml",
        "unsigned/fi-ncp__my_elmo.xml",
    ],
)
def test_our_credentials_of_the_interop_corpus_conform(
    library: ShapesLibrary, sealer: Sealer, interop_dir: Path, name: str
) -> None:
    data = codec.decode((interop_dir / name).read_bytes())
    credential = elmo_to_elm(read_elmo(data).elmo, sealer, original=data).credential
    report = validate_credential(json.loads(json.dumps(credential)), library=library)
    assert report.conforms, [str(p) for p in report.problems[:5]]


@pytest.mark.parametrize("name", PARITY)
def test_verdicts_equal_pyshacl_with_rdfs_inference(
    library: ShapesLibrary, samples_elm: Path, name: str
) -> None:
    credential = _credential(samples_elm / name)
    ours = validate_credential(credential, library=library)
    conforms, reference = reference_validate(credential, library=library)
    assert (ours.conforms, verdicts(ours)) == (conforms, reference)


def _broken(sealer: Sealer) -> dict[str, Any]:
    """A credential of ours with one fault of each kind the shapes check."""
    credential = json.loads(elmo_to_elm(sample_elmo(3), sealer, original=b"<elmo/>").to_json())
    course = credential["credentialSubject"]["hasClaim"][0]
    del course["title"]  # MinCount
    course["awardedBy"]["awardingDate"] = ["2020-01-01T00:00:00", "2021-01-01T00:00:00"]  # MaxCount
    credential["credentialSubject"]["dateOfBirth"] = "the first of May"  # Datatype
    course["specifiedBy"]["thematicArea"]["inScheme"]["id"] = "urn:not:isced"  # HasValue through sh:node
    course["specifiedBy"]["title"] = {"en": ["One", "Two"]}  # UniqueLang
    course["creditReceived"] = [{"id": "urn:x:not-a-credit", "type": "Note"}]  # Class
    del credential["evidence"]["embeddedEvidence"]  # the Converted profile's own shape
    return credential


def test_broken_credentials_get_the_same_verdicts_as_pyshacl(library: ShapesLibrary, sealer: Sealer) -> None:
    credential = _broken(sealer)
    ours = validate_credential(credential, library=library)
    conforms, reference = reference_validate(credential, library=library)
    assert not ours.conforms and not conforms
    assert verdicts(ours) == reference
    assert {p.component for p in ours.problems} >= {
        "MinCount",
        "MaxCount",
        "Datatype",
        "Node",
        "UniqueLang",
        "Class",
    }


def test_problems_name_shape_node_and_fault_in_words(library: ShapesLibrary, sealer: Sealer) -> None:
    report = validate_credential(_broken(sealer), library=library)
    lines = [str(p) for p in report.problems]
    assert any(
        line.startswith("LearningAchievement urn:epass:learningAchievement:")
        and "title (dc:title) is missing: at least 1 value(s) required "
        "[shape edc:LearningAchievement-dc_title]"
        in line
        for line in lines
    ), lines
    assert any("'the first of May' is not a well-formed xsd:dateTime" in line for line in lines), lines
    assert any("embedded evidence (elm:embeddedEvidence) is missing" in line for line in lines), lines


def test_a_remote_context_is_refused_by_name(library: ShapesLibrary, sealer: Sealer) -> None:
    credential = copy.deepcopy(elmo_to_elm(sample_elmo(1), sealer).credential)
    credential["@context"].append("https://evil.example/context.jsonld")
    with pytest.raises(RemoteContextRefused, match=r"https://evil\.example/context\.jsonld"):
        validate_credential(credential, library=library)
    credential["@context"] = credential["@context"][:2]
    credential["credentialSubject"]["@context"] = "https://evil.example/nested.jsonld"
    with pytest.raises(RemoteContextRefused, match=r"nested\.jsonld"):
        validate_credential(credential, library=library)


def test_no_shapes_folder_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ShapesUnavailable, match="emrex elm shapes fetch"):
        validate_credential({"credentialSubject": {}}, shapes_dir=tmp_path)
