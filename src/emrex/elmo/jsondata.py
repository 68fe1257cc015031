"""The model as plain JSON data (dicts, lists, strings, numbers) for tools and APIs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any


def to_json_data(value: Any) -> Any:
    """Dataclasses become objects, tuples lists; dates ISO 8601 text, decimals exact text (not floats),
    enumerations their ELMO value, extension bytes UTF-8 text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_json_data(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
