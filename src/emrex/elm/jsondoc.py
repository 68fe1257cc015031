"""Reading untrusted JSON with bounds: size, nesting depth, members given twice, numbers.

The limits are checked before or while parsing, never after building something expensive: the size
before anything, duplicates as each object is made, depth on the parsed value with an explicit stack
(Python's own parser stops at roughly a thousand levels with RecursionError, which we turn into the
same readable refusal).
"""

from __future__ import annotations

import json
from typing import Any

from emrex.elm.errors import ElmParseError
from emrex.errors import InputTooLarge
from emrex.jsonstrict import DuplicateMember, RefusedConstant, refuse_constant, unique_members, without_bom

DEFAULT_MAX_JSON_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64


def load_json(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_JSON_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> Any:
    """The parsed value; ElmParseError (or InputTooLarge) with one line saying what is wrong."""
    if len(data) > max_bytes:
        raise InputTooLarge(f"the JSON document is {len(data)} bytes, more than the limit of {max_bytes}")
    if isinstance(data, bytes):
        try:
            text = without_bom(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ElmParseError(f"the document is not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    try:
        value = json.loads(text, object_pairs_hook=unique_members, parse_constant=refuse_constant)
    except DuplicateMember as exc:
        raise ElmParseError(f"the member {exc.key[:60]!r} is given twice in one JSON object") from None
    except RefusedConstant as exc:
        raise ElmParseError(f"{exc.name} is not a JSON number") from None
    except json.JSONDecodeError as exc:
        raise ElmParseError(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ElmParseError(f"the JSON document nests deeper than {max_depth} levels") from None
    check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ElmParseError(f"the JSON document nests deeper than {max_depth} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))

