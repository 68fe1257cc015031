"""The parts every strict JSON reader shares: no member given twice, no NaN or Infinity, no BOM.

Each package's reader (``seal.jsondoc``, ``wallet.jose``, ``elm.jsondoc``) passes these hooks to
``json.loads`` and turns the two exceptions into its own error with its own words.
"""

from __future__ import annotations

from typing import Any

BOM = b"\xef\xbb\xbf"


class DuplicateMember(ValueError):
    """An object gives the member ``key`` twice (tools disagree which copy counts)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class RefusedConstant(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python reads them, JSON has no such numbers."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not JSON")
        self.name = name


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: the object, or DuplicateMember for the first key given twice."""
    members = dict(pairs)  # built in C; the rare doubled member is looked for only when sizes differ
    if len(members) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateMember(key)
            seen.add(key)
    return members


def refuse_constant(name: str) -> Any:
    """``parse_constant``: always RefusedConstant."""
    raise RefusedConstant(name)


def without_bom(data: bytes) -> bytes:
    return data[len(BOM) :] if data.startswith(BOM) else data
