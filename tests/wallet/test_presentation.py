"""Presenting: the disclosures for exactly the claims asked for (and the ones containing them), and a
key-binding JWT whose every field the verifier compares."""

from __future__ import annotations

import time

import pytest

from emrex.wallet.errors import KeyBindingRefused
from emrex.wallet.jose import SigningKey, new_ec_key, parse_jwt, sign_jwt, signing_key
from emrex.wallet.presentation import check_key_binding, key_binding_jwt, present, reaches, sd_hash
from emrex.wallet.sdjwt import SdJwt, conceal, resolve, split

CLAIMS = {
    "person": {"name": {"given": "Åsa", "family": "Lind"}, "born": "1999-01-02"},
    "courses": [{"title": "A"}, {"title": "B"}, {"title": "C"}],
}
# The name is disclosable as a whole and its parts inside it too (nested disclosures).
PATHS = [("person", "name"), ("person", "name", "given"), ("person", "born"), ("courses", None)]


def _issued(holder: SigningKey) -> str:
    payload, disclosures = conceal({**CLAIMS, "cnf": {"jwk": holder.public_jwk}}, PATHS)
    jwt = sign_jwt({"typ": "dc+sd-jwt"}, payload, signing_key(new_ec_key()))
    return SdJwt(jwt, tuple(d.encoded for d in disclosures)).presented


def _shown(presentation: str) -> dict[str, object]:
    sd_jwt = split(presentation)
    return resolve(parse_jwt(sd_jwt.jwt, "x").payload, sd_jwt.disclosures).claims


def test_paths_reach_the_claim_what_lies_inside_and_what_contains_it() -> None:
    assert reaches(("courses", None), ("courses", 2))
    assert reaches(("person",), ("person", "name", "given"))
    assert reaches(("person", "name", "given"), ("person", "name"))
    assert not reaches(("person", "born"), ("person", "name"))


def test_one_course_shows_one_course_and_nothing_else(holder_key: SigningKey) -> None:
    shown = _shown(present(_issued(holder_key), [("courses", 1)], holder=holder_key, audience="a", nonce="n"))
    assert shown["courses"] == [{"title": "B"}]
    assert shown["person"] == {}


def test_a_nested_claim_brings_the_disclosure_that_contains_it(holder_key: SigningKey) -> None:
    shown = _shown(
        present(
            _issued(holder_key), [("person", "name", "given")], holder=holder_key, audience="a", nonce="n"
        )
    )
    assert shown["person"] == {"name": {"given": "Åsa", "family": "Lind"}}
    assert shown["courses"] == []


def test_a_presentation_carries_a_key_binding_for_its_audience_and_nonce(holder_key: SigningKey) -> None:
    presentation = present(
        _issued(holder_key), [("person",)], holder=holder_key, audience="x509_san_dns:emc", nonce="n1"
    )
    sd_jwt = split(presentation)
    kb = parse_jwt(sd_jwt.kb_jwt or "", "kb", typ="kb+jwt")
    assert kb.payload["sd_hash"] == sd_hash(sd_jwt.presented)
    cnf = {"jwk": holder_key.public_jwk}
    binding = check_key_binding(sd_jwt, cnf, audience="x509_san_dns:emc", nonce="n1", now=int(time.time()))
    assert (binding.audience, binding.nonce) == ("x509_san_dns:emc", "n1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aud": "https://elsewhere"}, "not for us"),
        ({"nonce": "old"}, "wrong nonce"),
        ({"iat": 1}, "seconds old"),
        ({"iat": 4_000_000_000}, "future"),
        ({"sd_hash": "AAAA"}, "sd_hash"),
    ],
)
def test_each_key_binding_field_is_checked(
    holder_key: SigningKey, change: dict[str, object], message: str
) -> None:
    sd_jwt = split(_issued(holder_key))
    claims = {
        "iat": int(time.time()),
        "aud": "emc",
        "nonce": "n1",
        "sd_hash": sd_hash(sd_jwt.presented),
        **change,
    }
    kb = sign_jwt({"typ": "kb+jwt"}, claims, holder_key)
    with pytest.raises(KeyBindingRefused, match=message):
        check_key_binding(
            SdJwt(sd_jwt.jwt, sd_jwt.disclosures, kb),
            {"jwk": holder_key.public_jwk},
            audience="emc",
            nonce="n1",
            now=int(time.time()),
        )


def test_a_key_binding_by_another_key_or_without_the_kb_type_is_refused(holder_key: SigningKey) -> None:
    sd_jwt = split(_issued(holder_key))
    cnf = {"jwk": holder_key.public_jwk}
    stranger = key_binding_jwt(sd_jwt, signing_key(new_ec_key()), audience="emc", nonce="n1")
    with pytest.raises(KeyBindingRefused, match="does not match"):
        check_key_binding(
            SdJwt(sd_jwt.jwt, sd_jwt.disclosures, stranger),
            cnf,
            audience="emc",
            nonce="n1",
            now=int(time.time()),
        )
    claims = {"iat": int(time.time()), "aud": "emc", "nonce": "n1", "sd_hash": sd_hash(sd_jwt.presented)}
    untyped = sign_jwt({"typ": "JWT"}, claims, holder_key)
    with pytest.raises(KeyBindingRefused, match="typ"):
        check_key_binding(
            SdJwt(sd_jwt.jwt, sd_jwt.disclosures, untyped),
            cnf,
            audience="emc",
            nonce="n1",
            now=int(time.time()),
        )
    with pytest.raises(KeyBindingRefused, match="no key-binding"):
        check_key_binding(sd_jwt, cnf, audience="emc", nonce="n1", now=int(time.time()))
