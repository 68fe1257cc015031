"""Request parameters of the EWP APIs: ``application/x-www-form-urlencoded``, in a query string or
a POST body, some repeatable. Bounded before anything else is done with them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

from emrex.ewp.errors import BadParameters

Params = Sequence[tuple[str, str]]
FORM = "application/x-www-form-urlencoded"  # how parameters travel in a POST body

_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?")


def parse_form(text: str, *, max_fields: int) -> list[tuple[str, str]]:
    """The pairs of a query string or form body; more than ``max_fields`` is refused."""
    if not text:
        return []
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=max_fields)
    except ValueError:
        raise BadParameters(f"the request has more than {max_fields} parameters") from None


def values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name]


def single(params: Params, name: str, *, required: bool) -> str | None:
    """A parameter that may appear at most once (and must appear when ``required``)."""
    found = values(params, name)
    if len(found) > 1:
        raise BadParameters(f"{name} is given {len(found)} times; it is not repeatable")
    if not found:
        if required:
            raise BadParameters(f"the required parameter {name} is missing")
        return None
    return found[0]


def parse_datetime(text: str, name: str) -> dt.datetime:
    """An ``xs:dateTime`` (e.g. 2004-02-12T15:19:21+01:00); without a time zone it is taken as UTC."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise BadParameters(f"{name} must be an xs:dateTime such as 2004-02-12T15:19:21+01:00")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = dt.UTC if zone in (None, "Z") else _offset(zone)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz)
    except ValueError:
        raise BadParameters(f"{name} is not a real date and time") from None


def _offset(zone: str) -> dt.timezone:
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
