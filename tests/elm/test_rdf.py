"""The one-pass JSON-LD reading gives exactly pyld's triples; anything unusual goes through pyld."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emrex.elm import Sealer, ShapesLibrary, elmo_to_elm, read_document
from emrex.elm.rdf import Expander, Triple
from emrex.elmo.sample import sample_elmo

FILES = [
    "converter-dc4eu/uio-tor.elm.json",
    "converter-dc4eu/fi-centria-simple.elm.json",
    "converter-dc4eu/se-courses-hierarchy.elm.json",
    "edc-examples/Sample-CertOfPart-signed.jsonld",
    "edc-examples/Sample-MC-Annex1-unsigned.jsonld",
]


def _blank_free(triples: set[Triple]) -> set[tuple[object, ...]]:
    return {tuple("_:" if isinstance(x, str) and x.startswith("_:") else x for x in t) for t in triples}


@pytest.mark.parametrize("name", FILES)
def test_samples_give_pyld_triples(library: ShapesLibrary, samples_elm: Path, name: str) -> None:
    credential = read_document((samples_elm / name).read_bytes()).credential
    expander = Expander(library.contexts)
    assert _blank_free(expander.triples(credential)) == _blank_free(expander.with_pyld(credential))


def test_our_credentials_give_pyld_triples(library: ShapesLibrary, sealer: Sealer) -> None:
    credential = json.loads(elmo_to_elm(sample_elmo(9), sealer, original=b"<elmo/>").to_json())
    credential["credentialSubject"]["hasClaim"][0]["specifiedBy"]["volumeOfLearning"] = "PT10H"
    credential["credentialSubject"]["hasClaim"][0]["title"]["EN-gb"] = "Mixed case tag"
    credential["credentialSubject"]["hasClaim"][0]["title"]["@none"] = "No language"
    credential["credentialSubject"]["unknownTerm"] = "dropped by both"
    expander = Expander(library.contexts)
    fast = expander.triples(credential)
    assert fast == expander.with_pyld(credential)
    assert len(fast) > 900


def test_inline_contexts_take_the_pyld_path(library: ShapesLibrary, sealer: Sealer) -> None:
    credential = json.loads(elmo_to_elm(sample_elmo(1), sealer).to_json())
    credential["credentialSubject"]["@context"] = {"nick": "http://xmlns.com/foaf/0.1/nick"}
    credential["credentialSubject"]["nick"] = "Tess"
    triples = Expander(library.contexts).triples(credential)
    assert any(p == "http://xmlns.com/foaf/0.1/nick" for _, p, _ in triples)
