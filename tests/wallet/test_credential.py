"""The ELM credential: the ELM under ``elm`` as DC4EU issues it, every course its own disclosure, the
learner's personal data out of the signed payload, bound to the holder, described by its type metadata."""

from __future__ import annotations

import copy
import json

import pytest

from emrex.wallet import ELM_VCT, SigningKey, issue_elm_credential, type_metadata
from emrex.wallet.credential import elm_claims, elm_disclosable_paths
from emrex.wallet.errors import Unreadable
from emrex.wallet.jose import Json, parse_jwt
from emrex.wallet.sdjwt import ELEMENT, parse_disclosure, resolve, split
from emrex.wallet.typemeta import COURSES, SUBJECT, disclosable_paths
from tests.wallet.conftest import Pki
from tests.wallet.helpers import oracle


def _issue(elm: Json, pki: Pki, holder: SigningKey) -> str:
    return issue_elm_credential(
        elm, pki.issuer, holder.public_jwk, issuer="https://localhost", now=1_800_000_000
    )


def test_the_signed_part_is_an_sd_jwt_vc_of_the_elm_type(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    jwt = parse_jwt(split(_issue(uio_elm, pki, holder_key)).jwt, "credential", typ="dc+sd-jwt")
    assert jwt.header["alg"] == "ES256" and jwt.header["x5c"] == list(pki.issuer.x5c)
    claims = jwt.payload
    assert claims["vct"] == ELM_VCT == "urn:eudi:elm:1"
    assert claims["iss"] == "https://localhost"
    assert (claims["iat"], claims["exp"]) == (1_800_000_000, 1_800_000_000 + 365 * 86400)
    assert claims["cnf"] == {"jwk": holder_key.public_jwk}
    assert claims["elm"]["type"] == uio_elm["type"] and claims["elm"]["issuer"] == uio_elm["issuer"]


def test_no_personal_data_and_no_course_is_in_the_signed_part(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    jwt = parse_jwt(split(_issue(uio_elm, pki, holder_key)).jwt, "credential")
    signed = json.dumps(jwt.payload, ensure_ascii=False)
    for secret in ("Testesen", "1991-01-20", "12345678910", "Testing", "Brannsikkerhet", "354435c0"):
        assert secret not in signed
    subject = jwt.payload["elm"]["credentialSubject"]
    assert set(subject) == {"type", "hasClaim", "_sd"}
    assert all(set(element) == {ELEMENT} for element in subject["hasClaim"])
    assert len(subject["hasClaim"]) > len(uio_elm["credentialSubject"]["hasClaim"])  # decoys hide the count


def test_each_course_is_one_array_element_disclosure(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    disclosures = [parse_disclosure(d) for d in split(_issue(uio_elm, pki, holder_key)).disclosures]
    courses = [d.value for d in disclosures if d.name is None]
    assert courses == uio_elm["credentialSubject"]["hasClaim"]
    personal = [k for k in uio_elm["credentialSubject"] if k not in ("type", "hasClaim")]
    assert sorted(d.name for d in disclosures if d.name) == sorted([*personal, "displayParameter"])


def test_all_disclosures_rebuild_the_elm_exactly(
    hierarchy_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    sd_jwt = split(_issue(hierarchy_elm, pki, holder_key))
    claims = resolve(parse_jwt(sd_jwt.jwt, "credential").payload, sd_jwt.disclosures).claims
    assert claims["elm"] == hierarchy_elm


def test_a_single_result_object_becomes_a_list_of_one(
    elm_dir: object, pki: Pki, holder_key: SigningKey
) -> None:
    from pathlib import Path

    elm = json.loads((Path(str(elm_dir)) / "fi-centria-simple.elm.json").read_text(encoding="utf-8"))
    assert isinstance(elm["credentialSubject"]["hasClaim"], dict)
    before = copy.deepcopy(elm)
    sd_jwt = split(_issue(elm, pki, holder_key))
    claims = resolve(parse_jwt(sd_jwt.jwt, "credential").payload, sd_jwt.disclosures).claims
    assert claims["elm"]["credentialSubject"]["hasClaim"] == [elm["credentialSubject"]["hasClaim"]]
    assert elm == before  # the caller's ELM is not changed


def test_an_unknown_personal_member_is_disclosable_too(uio_elm: Json) -> None:
    elm = {**uio_elm, "credentialSubject": {**uio_elm["credentialSubject"], "nickname": "Testy"}}
    assert (*SUBJECT, "nickname") in elm_disclosable_paths(elm_claims(elm))


@pytest.mark.parametrize("elm", [[], {"type": "x"}, {"credentialSubject": {"hasClaim": "one"}}])
def test_what_is_not_elm_is_refused_before_anything_is_signed(elm: object) -> None:
    with pytest.raises(Unreadable):
        elm_claims(elm)


def test_type_metadata_declares_what_the_credential_does() -> None:
    metadata = type_metadata()
    assert metadata["vct"] == ELM_VCT
    assert {d["locale"] for d in metadata["display"]} == {"en", "sv"}
    declared = {tuple(c["path"]): c["sd"] for c in metadata["claims"]}
    assert declared[COURSES] == "always" and declared[(*SUBJECT, "givenName")] == "always"
    assert set(disclosable_paths()) == {p for p, sd in declared.items() if sd == "always"}
    for claim in metadata["claims"]:
        assert {d["locale"] for d in claim["display"]} == {"en", "sv"} and all(
            d["label"] for d in claim["display"]
        )


def test_type_metadata_passes_the_schema_of_an_independent_implementation() -> None:
    result = oracle("sdjwt", {"command": "typemeta", "metadata": type_metadata()})
    assert "error" not in result, result
    assert result["parsed"]["claims"][0]["display"][0]["locale"] == "en"
