"""The EMREG JSON list: ``{"countries": [...], "emps": [...]}``, and the legacy form with ``"ncps"``."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from emrex.registry.builder import CertificateText, RegistryBuilder
from emrex.registry.errors import RegistryError
from emrex.registry.model import Registry

_BOM = b"\xef\xbb\xbf"


def read_emreg_json(data: bytes, *, source: str = "") -> Registry:
    """The registry in an EMREG JSON list (current or legacy form)."""
    where = f"{source}: " if source else ""
    document = _load_json(data, where)
    if not isinstance(document, dict):
        raise RegistryError(f"{where}the top level of the JSON is {_kind(document)}, not an object")
    if "emps" in document:
        key = "emps"
    elif "ncps" in document:
        key = "ncps"
    else:
        raise RegistryError(f"{where}the list has no 'emps' (or legacy 'ncps') member")
    countries = _array(document, "countries", "", where)
    entries = _array(document, key, "", where)
    builder = RegistryBuilder(source)
    if key == "emps" and "ncps" in document:
        builder.warn("the list has both 'emps' and legacy 'ncps'; 'ncps' is ignored")
    for index, item in enumerate(countries):
        path = f"countries[{index}]"
        entry = _object(item, path, where)
        builder.add_country(
            path,
            _string(entry, "countryCode", path, where),
            _string(entry, "countryName", path, where),
            _boolean(entry, "singleFetch", path, where),
        )
    for index, item in enumerate(entries):
        path = f"{key}[{index}]"
        entry = _object(item, path, where)
        builder.add_emp(
            path,
            acronym=_string(entry, "acronym", path, where),
            country_code=_string(entry, "countryCode", path, where),
            url=_string(entry, "url", path, where),
            institutions=_strings(entry, "institutions", path, where),
            certificates=[CertificateText("pubKey", _string(entry, "pubKey", path, where))],
        )
    return builder.build()


def emreg_json(registry: Registry, *, legacy: bool = False) -> bytes:
    """The list in the current form, or with ``legacy`` the old one (``ncps``, field order of 2015).

    Several certificates of one EMP go into its ``pubKey`` as consecutive PEM blocks; readers that
    take only the first still get a valid certificate.
    """
    countries = [
        {"countryCode": c.code, "countryName": c.name, "singleFetch": c.single_fetch}
        for c in registry.countries
    ]
    emps: list[dict[str, Any]] = []
    for emp in registry.emps:
        pem = "".join(cert.public_bytes(Encoding.PEM).decode("ascii") for cert in emp.certificates).strip()
        fields: tuple[tuple[str, Any], ...]
        if legacy:
            fields = (
                ("acronym", emp.acronym),
                ("institutions", list(emp.institutions)),
                ("countryCode", emp.country_code),
                ("url", emp.url),
                ("pubKey", pem),
            )
        else:
            fields = (
                ("url", emp.url),
                ("acronym", emp.acronym),
                ("countryCode", emp.country_code),
                ("institutions", list(emp.institutions)),
                ("pubKey", pem),
            )
        emps.append(dict(fields))
    document = {"countries": countries, "ncps" if legacy else "emps": emps}
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _load_json(data: bytes, where: str) -> Any:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RegistryError(
            f"{where}line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8 "
            "(JSON must be UTF-8; was the list saved as Latin-1?)"
        ) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_members(where))
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{where}line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise RegistryError(f"{where}the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. a number with more digits than Python converts
        raise RegistryError(f"{where}not usable JSON: {str(exc).splitlines()[0][:100]}") from None


def _unique_members(where: str) -> Any:
    # A member given twice is read differently by different tools (first or last wins): with
    # certificates at stake, such a list is refused rather than guessed.
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members: dict[str, Any] = {}
        for key, value in pairs:
            if key in members:
                raise RegistryError(f"{where}the member {key[:40]!r} appears twice in one object")
            members[key] = value
        return members

    return build


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _member(entry: dict[str, Any], key: str, path: str, where: str) -> Any:
    if key not in entry:
        raise RegistryError(f"{where}{path}{'.' if path else ''}{key} is missing")
    return entry[key]


def _wrong(path: str, key: str, value: Any, wanted: str, where: str) -> RegistryError:
    dot = "." if path else ""
    return RegistryError(f"{where}{path}{dot}{key} is {_kind(value)}, not {wanted}")


def _array(entry: dict[str, Any], key: str, path: str, where: str) -> list[Any]:
    value = _member(entry, key, path, where)
    if not isinstance(value, list):
        raise _wrong(path, key, value, "an array", where)
    return value


def _object(value: Any, path: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RegistryError(f"{where}{path} is {_kind(value)}, not an object")
    return value


def _string(entry: dict[str, Any], key: str, path: str, where: str) -> str:
    value = _member(entry, key, path, where)
    if not isinstance(value, str):
        raise _wrong(path, key, value, "a string", where)
    return value


def _boolean(entry: dict[str, Any], key: str, path: str, where: str) -> bool:
    # Optional: the 2015 lists leave it out for most countries; a missing flag means one EMP per country.
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise _wrong(path, key, value, "true or false", where)
    return value


def _strings(entry: dict[str, Any], key: str, path: str, where: str) -> list[str]:
    value = _member(entry, key, path, where)
    if not isinstance(value, list):
        raise _wrong(path, key, value, "an array of strings", where)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong(path, f"{key}[{index}]", item, "a string", where)
    return value
