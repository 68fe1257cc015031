"""Country codes: checking them, and English names for the countries EMREX serves."""

from __future__ import annotations

import re

_CODE = re.compile(r"^[A-Z]{2}$")

# EU, EEA and a few partner countries; anything else is named by its code.
ISO_NAMES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CH": "Switzerland",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IS": "Iceland",
    "IT": "Italy",
    "LI": "Liechtenstein",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MK": "North Macedonia",
    "MT": "Malta",
    "NL": "Netherlands",
    "NO": "Norway",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "RS": "Serbia",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "TR": "Türkiye",
    "UA": "Ukraine",
}


def normalise_code(value: str) -> str | None:
    """The upper-case two-letter code, or None when ``value`` is not one."""
    code = value.strip().upper()
    return code if _CODE.match(code) else None


def country_name(code: str) -> str:
    return ISO_NAMES.get(code, code)
