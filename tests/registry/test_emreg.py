from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import pytest

from emrex.registry import Registry, RegistryError, emreg_json, read_emreg_json
from tests.registry.helpers import emp_entry, emreg_document, make_cert, pem


def test_reads_the_current_form() -> None:
    registry = read_emreg_json(
        emreg_document(
            emp_entry("LADOK", "se", institutions=["All"]),
            emp_entry("CSC", "FI"),
            countries=[
                {"countryCode": "se", "countryName": "Sweden", "singleFetch": False},
                {"countryCode": "FI", "countryName": "Finland", "singleFetch": True},
            ],
        ),
        source="list.json",
    )
    assert [(c.code, c.name, c.single_fetch) for c in registry.countries] == [
        ("SE", "Sweden", False),
        ("FI", "Finland", True),
    ]
    ladok = registry.find_emp("ladok")
    assert ladok.country_code == "SE"
    assert ladok.url == "https://ladok.example.org/emp/"
    assert ladok.institutions == ("All",)
    assert ladok.display_name == "LADOK"
    assert ladok.certificates == (make_cert("LADOK"),)
    assert registry.emps_in("fi")[0].acronym == "CSC"
    assert registry.warnings == ()


def test_reads_the_legacy_form_with_ncps_and_no_single_fetch() -> None:
    document = emreg_document(
        emp_entry("FSAT", "NO"), key="ncps", countries=[{"countryCode": "NO", "countryName": "Norway"}]
    )
    registry = read_emreg_json(document)
    assert registry.country("NO") is not None
    assert registry.country("NO").single_fetch is False  # type: ignore[union-attr]
    assert registry.emps[0].acronym == "FSAT"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p.replace("-----\n", "-----", 1),  # no newline after BEGIN (seen in real lists)
        lambda p: p.replace("\n", " "),  # spaces instead of newlines
        lambda p: p.replace("\n", "\\n"),  # escaped twice by a careless exporter
        lambda p: p.replace("\n", "\r\n").strip(),
        lambda p: "".join(p.splitlines()[1:-1]),  # the base64 of the DER without armour
    ],
    ids=["no-newline-after-begin", "spaces", "literal-backslash-n", "crlf", "bare-base64"],
)
def test_badly_wrapped_pem_certificates_are_read(mangle: object) -> None:
    wrapped = mangle(pem(make_cert("LADOK")))  # type: ignore[operator]
    registry = read_emreg_json(emreg_document(emp_entry("LADOK", pubKey=wrapped)))
    assert registry.emps[0].certificates == (make_cert("LADOK"),)


def test_several_pem_blocks_in_pub_key_give_several_certificates() -> None:
    both = pem(make_cert("old")) + pem(make_cert("new"))
    registry = read_emreg_json(emreg_document(emp_entry("LADOK", pubKey=both)))
    assert registry.emps[0].certificates == (make_cert("old"), make_cert("new"))


def test_an_emp_with_a_damaged_certificate_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cut = pem(make_cert("BROKEN"))[:120] + "(......)\n-----END CERTIFICATE-----"
    with caplog.at_level(logging.WARNING, logger="emrex.registry"):
        registry = read_emreg_json(
            emreg_document(emp_entry("GOOD"), emp_entry("BROKEN", pubKey=cut)), source="list.json"
        )
    assert [e.acronym for e in registry.emps] == ["GOOD"]
    assert registry.warnings[0].startswith("emps[1] (BROKEN): no usable certificate (pubKey: ")
    assert any("BROKEN" in r.getMessage() and r.getMessage().startswith("list.json") for r in caplog.records)


def test_a_list_where_no_emp_is_usable_is_refused() -> None:
    with pytest.raises(
        RegistryError, match=r"none of the 2 EMPs listed is usable \(first problem: emps\[0\]"
    ):
        read_emreg_json(emreg_document(emp_entry("A", pubKey="garbage"), emp_entry("B", pubKey="")))


def test_a_list_without_emps_is_refused() -> None:
    with pytest.raises(RegistryError, match="names no EMP"):
        read_emreg_json(b'{"countries": [], "emps": []}')


def test_plain_http_emps_are_skipped_except_on_this_machine() -> None:
    registry = read_emreg_json(
        emreg_document(
            emp_entry("REMOTE", url="http://emp.example.org/"),
            emp_entry("LOCAL", url="http://127.0.0.1:8001/emp"),
            emp_entry("CREDS", url="https://user:pw@emp.example.org/"),
        )
    )
    assert [e.acronym for e in registry.emps] == ["LOCAL"]
    assert any("REMOTE" in w and "plain HTTP" in w for w in registry.warnings)
    assert any("CREDS" in w and "password" in w for w in registry.warnings)


def test_a_duplicate_url_keeps_the_first_emp() -> None:
    registry = read_emreg_json(
        emreg_document(emp_entry("FIRST"), emp_entry("SECOND", url="https://first.example.org/emp/"))
    )
    assert [e.acronym for e in registry.emps] == ["FIRST"]
    assert any("SECOND" in w and "already" in w for w in registry.warnings)


def test_an_emp_in_an_unlisted_country_is_kept_with_a_warning() -> None:
    registry = read_emreg_json(
        emreg_document(
            emp_entry("LADOK", "SE"),
            emp_entry("UNIVR", "IT"),
            countries=[{"countryCode": "SE", "countryName": "Sweden", "singleFetch": False}],
        )
    )
    assert [e.acronym for e in registry.emps] == ["LADOK", "UNIVR"]
    assert [c.code for c in registry.countries] == ["SE"]
    assert registry.warnings == ("the list names no country IT, yet lists EMPs there: UNIVR",)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"[]", "top level of the JSON is an array, not an object"),
        (b'{"countries": []}', "no 'emps' \\(or legacy 'ncps'\\) member"),
        (b'{"emps": []}', "countries is missing"),
        (b'{"countries": {}, "emps": []}', "countries is an object, not an array"),
        (b'{"countries": [], "emps": [3]}', r"emps\[0\] is a number, not an object"),
        (b'{"countries": [{"countryCode": "SE"}], "emps": []}', r"countries\[0\]\.countryName is missing"),
        (b'{"countries": [], "emps": [{"acronym": "X"}]}', r"emps\[0\]\.countryCode is missing"),
        (b'{"countries": [], "emps": [{"acronym": 7}]}', r"emps\[0\]\.acronym is a number, not a string"),
        (b'{"countries": [], "emps": [NaN]}', "not valid JSON"),
        (b'{"countries": [],\n "emps": [}', "line 2, column 11: not valid JSON"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b'{"countries": [], "emps": [' + b"9" * 5000 + b"]}", "not usable JSON"),
    ],
)
def test_structural_problems_refuse_the_list_naming_the_place(document: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        read_emreg_json(document, source="list.json")


def test_wrong_types_inside_an_emp_name_the_json_path() -> None:
    with pytest.raises(RegistryError, match=r"list.json: emps\[1\]\.institutions is a string, not an array"):
        read_emreg_json(
            emreg_document(emp_entry("A"), emp_entry("B", institutions="All")), source="list.json"
        )
    with pytest.raises(RegistryError, match=r"emps\[0\]\.institutions\[1\] is null, not a string"):
        read_emreg_json(emreg_document(emp_entry("A", institutions=["x", None])))


def test_a_utf8_bom_is_accepted() -> None:
    assert read_emreg_json(b"\xef\xbb\xbf" + emreg_document(emp_entry("A"))).emps[0].acronym == "A"


def test_the_interop_legacy_list_is_refused_for_each_of_its_faults(interop_dir: Path) -> None:
    data = (interop_dir / "registry" / "emrex-client__emreg.json").read_bytes()
    with pytest.raises(RegistryError, match=r"line 24, column \d+: byte 0xe5 is not UTF-8"):
        read_emreg_json(data)
    data = data.decode("latin-1").encode("utf-8")
    with pytest.raises(RegistryError, match="line 5, column 5: not valid JSON"):
        read_emreg_json(data)  # the trailing comma after "Finland"
    data = data.replace(b'"Finland",', b'"Finland"')
    with pytest.raises(RegistryError, match=r"countries\[3\]\.singleFetch is a string, not true or false"):
        read_emreg_json(data)
    data = data.replace(b'"true"', b"true")
    # Now well-formed, but the pubKeys are truncated and the URLs are plain HTTP or unusable.
    with pytest.raises(RegistryError, match="none of the 5 EMPs listed is usable"):
        read_emreg_json(data)


def test_written_lists_read_back_identically() -> None:
    original = read_emreg_json(
        emreg_document(
            emp_entry(
                "LADOK", "SE", institutions=["All"], pubKey=pem(make_cert("old")) + pem(make_cert("new"))
            ),
            emp_entry("UiO", "NO", institutions=["Universitetet i Oslo", "Høgskolen i Østfold"]),
            countries=[
                {"countryCode": "SE", "countryName": "Sverige", "singleFetch": False},
                {"countryCode": "NO", "countryName": "Norge", "singleFetch": True},
            ],
        )
    )
    for legacy in (False, True):
        again = read_emreg_json(emreg_json(original, legacy=legacy))
        assert again == original
        assert isinstance(again, Registry)
    assert "ncps" in json.loads(emreg_json(original, legacy=True))


def test_written_list_satisfies_the_emreg_json_schema(interop_dir: Path) -> None:
    schema = json.loads((interop_dir / "registry" / "emrex-gateway__emregjsonschema.json").read_bytes())
    registry = read_emreg_json(emreg_document(emp_entry("LADOK"), emp_entry("CSC", "FI")))
    document = json.loads(emreg_json(registry))
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    assert all(e["url"].startswith("https://") for e in document["emps"])
    with pytest.raises(jsonschema.ValidationError):  # the schema is strict enough to notice the legacy key
        jsonschema.validate(json.loads(emreg_json(registry, legacy=True)), schema)
