"""Environment text into values: each kind, and what check-config shows."""

from __future__ import annotations

import re

import pytest

from emrex.config.values import BadText, coerce, hide_password, shown


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("  padded  ", "text", "padded"),
        (" /etc/emrex/key.pem\n", "path", "/etc/emrex/key.pem"),
        ("https://emp.example ", "url", "https://emp.example"),
        ("", "url", ""),
        (" 42 ", "int", 42),
        ("2.5", "float", 2.5),
        ("YES", "bool", True),
        ("off", "bool", False),
        ("0", "bool", False),
        ("a, b ,c", "list", ["a", "b", "c"]),
        ("", "list", []),
        ('["a,b", " c "]', "list", ["a,b", "c"]),
        ("8", "any", 8),
        ('["x"]', "any", ["x"]),
        ("text with spaces", "any", "text with spaces"),
    ],
)
def test_each_kind(text: str, kind: str, value: object) -> None:
    assert coerce(text, kind) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("8080.5", "int", "a whole number"),
        ("fast", "float", "a number"),
        ("maybe", "bool", "true or false"),
        ("ftp://x", "url", "an http(s) URL"),
        ("[1, 2]", "list", "a comma-separated list"),
    ],
)
def test_bad_text_says_what_was_expected(text: str, kind: str, expected: str) -> None:
    with pytest.raises(BadText, match=re.escape(expected)):
        coerce(text, kind)  # type: ignore[arg-type]


def test_shown_values_hide_url_passwords() -> None:
    assert hide_password("postgresql://emc:pw@db/emc") == "postgresql://emc:***@db/emc"
    assert hide_password("postgresql://emc@db/emc") == "postgresql://emc@db/emc"
    assert hide_password("sqlite:///a@b.db") == "sqlite:///a@b.db"
    assert shown(["a", 'q"uote']) == '["a", "q\\"uote"]'
    assert shown(True) == "true" and shown(3) == "3" and shown({"a": 1}) == "{a = 1}"
