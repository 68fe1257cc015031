"""Reading untrusted JSON strictly: bounded in size, no member given twice, no NaN, no absurd nesting."""

from __future__ import annotations

import json
from typing import Any

from emrex.errors import InputTooLarge
from emrex.jsonstrict import DuplicateMember, refuse_constant, unique_members, without_bom
from emrex.seal.errors import SealUnreadable


def load_json(data: bytes | str, *, what: str, max_bytes: int) -> Any:
    """The JSON value of ``data``; SealUnreadable (or InputTooLarge) says in one line what was wrong."""
    size = len(data)
    if size > max_bytes:
        raise InputTooLarge(f"{what} is {size} bytes, more than the limit of {max_bytes}")
    if isinstance(data, bytes):
        data = without_bom(data)
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SealUnreadable(f"{what} is not UTF-8 text (byte {exc.start})") from None
    if not data.strip():
        raise SealUnreadable(f"{what} is empty")
    try:
        return json.loads(data, parse_constant=refuse_constant, object_pairs_hook=unique_members)
    except DuplicateMember as exc:
        raise SealUnreadable(f"{what}: the member {exc.key[:40]!r} appears twice in one object") from None
    except json.JSONDecodeError as exc:
        raise SealUnreadable(
            f"{what} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise SealUnreadable(f"{what}: the JSON is nested too deeply") from None
    except ValueError as exc:  # a number with more digits than Python converts
        raise SealUnreadable(f"{what} is not usable JSON ({str(exc).splitlines()[0][:80]})") from None


def dump_compact(value: Any) -> str:
    """JSON as the EU's EDC tools write a sealed payload: no blanks, non-ASCII letters as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


