"""The catalogue of hostile inputs: every case names its entry point, the attack and what must happen.

Test modules in this folder exercise each case against the real entry point and register the ids
they cover with ``exercised``; ``test_catalogue`` checks that every case is exercised and that the
table in docs/SECURITY.md is the one ``markdown_table()`` writes (``python -m tests.hostile.doc``).
"""

from __future__ import annotations

from dataclasses import dataclass

ENTRY_POINTS = (
    "EMP entry",
    "EMP pages",
    "EMC return",
    "EMC pages",
    "SIS API",
    "library",
    "CLI",
    "registry readers",
    "JSON import",
)


@dataclass(frozen=True)
class Case:
    id: str
    entry: str
    attack: str
    expected: str


_EXERCISED: set[str] = set()


def exercised(*ids: str) -> None:
    """Called by the test modules at import: these cases have a test that runs them."""
    _EXERCISED.update(ids)


def exercised_ids() -> frozenset[str]:
    return frozenset(_EXERCISED)


def _cases(entry: str, *rows: tuple[str, str, str]) -> list[Case]:
    return [Case(id_, entry, attack, expected) for id_, attack, expected in rows]


REFUSED_400 = "400 page naming the rule, nothing stored"
SIGNATURE_REFUSED = "400 page: signature not accepted; transfer failed, no document kept"

CASES: tuple[Case, ...] = tuple(
    _cases(
        "EMP entry",
        ("emp-entry-return-url-data-scheme", "`returnUrl` is a `data:` URL with a script", REFUSED_400),
        ("emp-entry-return-url-file-scheme", "`returnUrl` is `file:///etc/passwd`", REFUSED_400),
        ("emp-entry-return-url-protocol-relative", "`returnUrl` is `//evil.example/return`", REFUSED_400),
        (
            "emp-entry-return-url-backslash",
            "`returnUrl` hides another host behind `\\@` (parser confusion)",
            REFUSED_400,
        ),
        (
            "emp-entry-return-url-credentials",
            "`returnUrl` carries `user:password@` (a personal marker as user name)",
            "400 page: no user name or password allowed; marker not logged",
        ),
        (
            "emp-entry-return-url-idn-lookalike",
            "`returnUrl` host in Unicode imitating the client (Cyrillic `о`)",
            REFUSED_400,
        ),
        (
            "emp-entry-idn-punycode-shown",
            "the same look-alike host in its `xn--` form",
            "served; the start page names the `xn--` host, never the look-alike glyphs",
        ),
        ("emp-entry-return-url-very-long", "`returnUrl` of 100 000 characters", REFUSED_400),
        (
            "emp-entry-return-url-newline",
            "`returnUrl` with CR LF and a header (response splitting)",
            REFUSED_400,
        ),
        ("emp-entry-return-url-fragment", "`returnUrl` with a `#fragment` holding markup", REFUSED_400),
        (
            "emp-entry-session-id-markup",
            "`sessionId` is a `<script>` element",
            REFUSED_400 + "; no raw markup",
        ),
        ("emp-entry-session-id-huge", "`sessionId` of 1 MB", REFUSED_400),
        (
            "emp-entry-query-markup",
            "GET entry with script in the query parameters",
            "400 page, markup and marker not echoed, nothing stored",
        ),
        (
            "emp-entry-file-fields",
            "`sessionId` and `returnUrl` sent as file uploads (wrong type)",
            "400 page: sessionId is missing; nothing stored",
        ),
        (
            "emp-entry-oversized-post",
            "entry post one byte over the protocol limit",
            "413 page, nothing stored",
        ),
    )
)


def cases_of(entry: str) -> list[Case]:
    return [case for case in CASES if case.entry == entry]


def markdown_table() -> str:
    lines = ["| id | entry point | attack | expected outcome |", "|---|---|---|---|"]
    for entry in ENTRY_POINTS:
        for case in cases_of(entry):
            cells = (f"`{case.id}`", case.entry, case.attack, case.expected)
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
