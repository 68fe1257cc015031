"""Checking the EMREX request: sessionId, returnUrl, the Polish flags, the allow-lists."""

from __future__ import annotations

import pytest

from emrex.emp.protocol import EntryError, EntryRules, ReturnCode, parse_entry, response_fields

RULES = EntryRules()
URL = "https://emc.example.org/return?x=1"


def _parse(rules: EntryRules = RULES, **params: str) -> object:
    return parse_entry({"sessionId": "abc-DEF_123.~", "returnUrl": URL, **params}, rules)


def test_defaults_of_the_polish_flags() -> None:
    request = parse_entry({"sessionId": "s", "returnUrl": URL}, RULES)
    assert (request.allow_pick, request.allow_not_passed) == (True, False)
    request = parse_entry(
        {"sessionId": "s", "returnUrl": URL, "allowToPickCourses": "FALSE", "allowNotPassedCourses": "1"},
        RULES,
    )
    assert (request.allow_pick, request.allow_not_passed) == (False, True)
    assert request.client_host == "emc.example.org"


def test_a_64_character_session_id_is_accepted_65_is_not() -> None:
    assert parse_entry({"sessionId": "a" * 64, "returnUrl": URL}, RULES).session_id == "a" * 64
    with pytest.raises(EntryError) as caught:
        parse_entry({"sessionId": "a" * 65, "returnUrl": URL}, RULES)
    assert caught.value.problem == "session_id_invalid"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://emc.example.org/r", "return_url_not_https"),
        ("https://a:b@emc.example.org/r", "return_url_credentials"),
        ("https://emc.example.org@evil.example/r", "return_url_credentials"),
        ("https://emc.example.org/r#frag", "return_url_invalid"),
        ("https://emc.example.org/a b", "return_url_invalid"),
        ("https://emc.example.org/\nSet-Cookie:x", "return_url_invalid"),
        ("ftp://emc.example.org/r", "return_url_invalid"),
        ("https:///path-only", "return_url_invalid"),
        ("https://bad_host!.example/r", "return_url_invalid"),
        ("https://emc.example.org:99999/r", "return_url_invalid"),
        ("data:text/html,hi", "return_url_invalid"),
    ],
)
def test_return_url_rules(url: str, problem: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_entry({"sessionId": "s", "returnUrl": url}, RULES)
    assert caught.value.problem == problem


def test_development_hosts_may_use_http_and_the_client_allow_list_is_exact() -> None:
    rules = EntryRules(dev_http_hosts=frozenset({"localhost"}), client_hosts=frozenset({"localhost"}))
    assert parse_entry({"sessionId": "s", "returnUrl": "http://localhost:8001/r"}, rules)
    with pytest.raises(EntryError) as caught:
        parse_entry({"sessionId": "s", "returnUrl": "https://localhost.evil.example/r"}, rules)
    assert caught.value.problem == "client_not_allowed"


def test_only_ok_carries_a_document() -> None:
    assert response_fields("s", ReturnCode.CANCEL) == [
        ("sessionId", "s"),
        ("returnCode", "NCP_CANCEL"),
        ("returnMessage", ""),
        ("elmo", ""),
    ]
    with pytest.raises(ValueError):
        response_fields("s", ReturnCode.ERROR, "x", "H4sI")
