"""The statistics export: counts and sums of one service over whole months, as CSV or JSON.

One versioned format for the EMC and the EMP (docs/STATISTICS.md), made to be collected from many
institutions and added up: every row is one figure for one combination of month, country, client
and outcome; the CSV repeats the service, the institution, the period and the format version on
each row, so files from many institutions can be concatenated. It holds no personal data: no
names, login names, identifiers, session ids or return URLs, only counts and sums.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from emrex.db.months import Period

FORMAT = "emrex-statistics"
VERSION = "1"
COLUMNS = (
    "format",
    "format_version",
    "service",
    "institution_id",
    "period_from",
    "period_to",
    "generated_at",
    "figure",
    "month",
    "country",
    "client",
    "outcome",
    "value",
    "unit",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    figure: str
    month: str
    value: int | Decimal
    unit: str
    country: str = ""
    client: str = ""
    outcome: str = ""


@dataclass(frozen=True)
class Export:
    service: str  # "emc" or "emp"
    institution_id: str
    institution_name: str
    period: Period
    rows: Sequence[Row]
    generated_at: datetime

    @property
    def generated_text(self) -> str:
        return self.generated_at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def institution_id(known: Sequence[str], base_url: str) -> str:
    """The SCHAC code the service knows for itself, else the host name of its public URL."""
    for code in known:
        if code.strip():
            return code.strip().lower()
    return (urlsplit(base_url).hostname or "").lower()


def to_json(export: Export) -> str:
    data = {
        "format": FORMAT,
        "formatVersion": VERSION,
        "service": export.service,
        "institution": {"id": export.institution_id, "name": export.institution_name},
        "period": {"from": str(export.period.first), "to": str(export.period.last), "timeZone": "UTC"},
        "generatedAt": export.generated_text,
        "rows": [
            {
                "figure": row.figure,
                "month": row.month,
                "country": row.country or None,
                "client": row.client or None,
                "outcome": row.outcome or None,
                "value": _json_number(row.value),
                "unit": row.unit,
            }
            for row in export.rows
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_csv(export: Export) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    fixed = [
        FORMAT,
        VERSION,
        export.service,
        _cell(export.institution_id),
        str(export.period.first),
        str(export.period.last),
        export.generated_text,
    ]
    for row in export.rows:
        writer.writerow(
            [
                *fixed,
                row.figure,
                row.month,
                _cell(row.country),
                _cell(row.client),
                _cell(row.outcome),
                _plain(row.value),
                row.unit,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet does not run a text cell as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _plain(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return str(value)


def _json_number(value: int | Decimal) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
