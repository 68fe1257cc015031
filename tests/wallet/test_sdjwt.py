"""SD-JWT disclosures (RFC 9901): what is concealed comes back exactly, decoys vanish, and every way a
disclosure can fail to belong is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emrex.wallet.errors import DisclosureRefused, TooLarge, Unreadable
from emrex.wallet.jose import b64encode, dumps
from emrex.wallet.sdjwt import (
    ELEMENT,
    SD,
    SdJwt,
    conceal,
    digest_of,
    make_disclosure,
    parse_disclosure,
    resolve,
    split,
)

CLAIMS = {
    "iss": "https://issuer.example",
    "person": {"given": "Åsa", "family": "Lind", "ids": ["a", "b"]},
    "courses": [{"title": "Wave Mechanics"}, {"title": "Norwegian"}, {"title": "Axe making"}],
}
PATHS = [("person", "given"), ("person", "family"), ("courses", None), ("person", "ids", 1)]


def _encoded(disclosures: list[Any]) -> list[str]:
    return [d.encoded for d in disclosures]


def test_concealed_claims_come_back_with_all_disclosures() -> None:
    payload, disclosures = conceal(CLAIMS, PATHS)
    assert payload["_sd_alg"] == "sha-256"
    assert "given" not in payload["person"] and len(payload["person"][SD]) >= 2 + 1  # at least one decoy
    assert all(set(element) == {ELEMENT} for element in payload["courses"])
    assert "a" in payload["person"]["ids"] and "b" not in payload["person"]["ids"]
    assert resolve(payload, _encoded(disclosures)).claims == CLAIMS


def test_withheld_disclosures_leave_their_claims_out_and_decoys_leave_no_trace() -> None:
    payload, disclosures = conceal(CLAIMS, PATHS, decoys=lambda: 3)
    assert len(payload["courses"]) == 3 + 3
    kept = [
        d for d in disclosures if d.name == "family" or (d.name is None and d.value == {"title": "Norwegian"})
    ]
    claims = resolve(payload, _encoded(kept)).claims
    assert claims["person"] == {"family": "Lind", "ids": ["a"]}
    assert claims["courses"] == [{"title": "Norwegian"}]


def test_digests_are_sorted_so_the_order_of_claims_is_hidden() -> None:
    payload, _ = conceal({"z": 1, "a": 2, "m": 3}, [("z",), ("a",), ("m",)])
    assert payload[SD] == sorted(payload[SD])


def test_rfc_9901_example_disclosure_and_digest() -> None:
    # RFC 9901, section 4.2.1 and 4.2.3: a disclosure of family_name and its SHA-256 digest.
    encoded = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    disclosure = parse_disclosure(encoded)
    assert (disclosure.name, disclosure.value) == ("family_name", "Möbius")
    assert digest_of(encoded) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


def test_a_disclosure_given_twice_is_refused() -> None:
    payload, disclosures = conceal(CLAIMS, PATHS)
    with pytest.raises(DisclosureRefused, match="given twice"):
        resolve(payload, [*_encoded(disclosures), disclosures[0].encoded])


def test_a_disclosure_the_signed_payload_does_not_reference_is_refused() -> None:
    payload, disclosures = conceal(CLAIMS, PATHS)
    stranger = make_disclosure("grade", "A")
    with pytest.raises(DisclosureRefused, match="not referenced"):
        resolve(payload, [*_encoded(disclosures), stranger.encoded])


def test_a_digest_appearing_twice_in_the_payload_is_refused() -> None:
    disclosure = make_disclosure("given", "Åsa")
    payload = {SD: [disclosure.digest], "again": {SD: [disclosure.digest]}}
    with pytest.raises(DisclosureRefused, match="appears twice"):
        resolve(payload, [disclosure.encoded])


def test_a_disclosed_name_that_already_exists_is_refused() -> None:
    disclosure = make_disclosure("given", "Mallory")
    with pytest.raises(DisclosureRefused, match="given twice"):
        resolve({"given": "Åsa", SD: [disclosure.digest]}, [disclosure.encoded])


def test_disclosures_used_in_the_wrong_place_are_refused() -> None:
    element, named = make_disclosure(None, "x"), make_disclosure("n", "x")
    with pytest.raises(DisclosureRefused, match="array-element disclosure"):
        resolve({SD: [element.digest]}, [element.encoded])
    with pytest.raises(DisclosureRefused, match="object-property disclosure"):
        resolve({"list": [{ELEMENT: named.digest}]}, [named.encoded])


@pytest.mark.parametrize("name", [SD, ELEMENT])
def test_a_disclosure_may_not_name_the_reserved_keys(name: str) -> None:
    encoded = b64encode(dumps(["c2FsdA", name, ["x"]]))
    with pytest.raises(DisclosureRefused, match="cannot be disclosed"):
        parse_disclosure(encoded)


@pytest.mark.parametrize("value", [["salt"], ["salt", "n", "v", "extra"], {"salt": 1}, [1, "n", "v"]])
def test_malformed_disclosures_are_refused(value: object) -> None:
    with pytest.raises(DisclosureRefused):
        parse_disclosure(b64encode(json.dumps(value).encode()))


def test_another_digest_algorithm_and_reserved_names_in_claims_are_refused() -> None:
    with pytest.raises(DisclosureRefused, match="sha-512"):
        resolve({"_sd_alg": "sha-512"}, [])
    with pytest.raises(Unreadable, match="reserved"):
        conceal({"person": {SD: ["x"], "given": "a"}}, [("person", "given")])


def test_fixed_claims_may_not_come_from_a_disclosure() -> None:
    payload, disclosures = conceal({"iss": "https://mallory.example", "a": 1}, [("iss",)])
    with pytest.raises(DisclosureRefused, match="'iss' must not"):
        resolve(payload, _encoded(disclosures), fixed=("iss",))


def test_compact_form_splits_and_joins() -> None:
    sd_jwt = split("h.p.s~d1~d2~kb.kb.kb")
    assert sd_jwt == SdJwt("h.p.s", ("d1", "d2"), "kb.kb.kb")
    assert sd_jwt.presented == "h.p.s~d1~d2~"
    assert sd_jwt.serialize() == "h.p.s~d1~d2~kb.kb.kb"
    assert split("h.p.s~").disclosures == () and split("h.p.s~").kb_jwt is None


@pytest.mark.parametrize("text", ["h.p.s", "h.p.s~~d~", "~d~", "h.p.s~é~"])
def test_compact_forms_that_are_not_sd_jwts_are_unreadable(text: str) -> None:
    with pytest.raises(Unreadable):
        split(text)


def test_size_is_checked_before_anything_is_read() -> None:
    with pytest.raises(TooLarge, match="at most 100"):
        split("x" * 101, max_bytes=100)
    with pytest.raises(TooLarge, match="disclosures"):
        split("h.p.s~" + "d~" * 2001)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("abc_", max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text("xyz", min_size=1, max_size=3), JSON, max_size=4), st.data())
def test_any_claims_with_any_disclosable_paths_come_back_unchanged(claims: dict[str, Any], data: Any) -> None:
    if any(k in (SD, ELEMENT) for path in _paths(claims) for k in path if isinstance(k, str)):
        return
    paths = data.draw(st.lists(st.sampled_from(_paths(claims)), max_size=6)) if _paths(claims) else []
    payload, disclosures = conceal(claims, paths)
    assert resolve(payload, _encoded(disclosures)).claims == claims
