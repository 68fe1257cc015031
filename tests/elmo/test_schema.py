from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from emrex.elmo.errors import SchemaUnavailable
from emrex.elmo.schema import (
    SCHEMA_DIR_ENV,
    available_versions,
    compiled_schema,
    import_target,
    validate_xsd,
)
from emrex.errors import XmlError

ADDR_NS = "https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1"


@pytest.fixture(scope="module")
def example(schema_dir: Path) -> bytes:
    return (schema_dir / "v1.7.0" / "example.xml").read_bytes()


def _with_citizenship(example: bytes, code: str) -> bytes:
    changed, count = re.subn(
        rb"<citizenship>PL</citizenship>", f"<citizenship>{code}</citizenship>".encode(), example
    )
    assert count == 1
    return changed


def _after_bday(example: bytes, fragment: str) -> bytes:
    changed, count = re.subn(rb"(<bday>[^<]*</bday>)", rb"\1" + fragment.encode(), example)
    assert count == 1
    return changed


def _copy(schema_dir: Path, tmp_path: Path, *parts: str) -> Path:
    target = tmp_path / "schemas"
    target.mkdir()
    for part in parts:
        shutil.copytree(schema_dir / part, target / part)
    return target


def test_official_example_is_valid_against_1_7_0(schema_dir: Path, example: bytes) -> None:
    report = validate_xsd(example, schema_dir)
    assert report.version == "1.7.0"
    assert report.valid
    assert report.errors == []


def test_finnish_ncp_document_is_valid(schema_dir: Path, interop_dir: Path) -> None:
    report = validate_xsd((interop_dir / "unsigned" / "fi-ncp__my_elmo.xml").read_bytes(), schema_dir)
    assert (report.version, report.valid, report.errors) == ("1.7.0", True, [])


def test_danish_example_is_invalid_with_lines_and_readable_messages(
    schema_dir: Path, interop_dir: Path
) -> None:
    data = (interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml").read_bytes()
    report = validate_xsd(data, schema_dir)
    assert not report.valid
    assert len(report.errors) == 37
    first = report.errors[0]
    assert first.line == 14
    assert first.message == "Element 'issuer': Missing child element(s). Expected is one of ( title, url )."
    assert str(first).startswith("line 14: Element 'issuer'")
    level = report.errors[1]
    assert level.line == 30
    assert "The value '-' is not an element of the set {'Bachelor', 'Master', 'PhD'}" in level.message
    assert all("{https://" not in problem.message for problem in report.errors)


def test_v2_example_fails_v2_schema_with_four_errors(schema_dir: Path) -> None:
    report = validate_xsd((schema_dir / "v2.0.0" / "example.xml").read_bytes(), schema_dir, version="v2.0.0")
    assert report.version == "2.0.0"
    assert not report.valid
    assert len(report.errors) == 4
    assert report.errors[0].line == 31
    assert (
        "Element 'bday': This element is not expected. Expected is ( alternativeName )"
        in report.errors[0].message
    )


def test_forcing_version_accepts_name_with_or_without_v(schema_dir: Path, example: bytes) -> None:
    assert validate_xsd(example, schema_dir, version="1.7.0").valid
    assert not validate_xsd(example, schema_dir, version="2.0.0").valid


def test_v2_elements_pick_the_v2_schema(schema_dir: Path, example: bytes) -> None:
    v2_learner = example.replace(b"<bday>", "<alternativeName>Войцех</alternativeName><dateOfBirth>".encode())
    v2_learner = v2_learner.replace(b"</bday>", b"</dateOfBirth>")
    report = validate_xsd(v2_learner, schema_dir)
    assert report.version == "2.0.0"
    # The v1 LOS without identifier and credit/level still fail v2.0.0; the learner part passes.
    assert not any("'alternativeName'" in p.message or "'dateOfBirth'" in p.message for p in report.errors)
    assert not any("learner" in p.message for p in report.errors)
    only_date = example.replace(b"<bday>", b"<dateOfBirth>").replace(b"</bday>", b"</dateOfBirth>")
    assert validate_xsd(only_date, schema_dir).version == "2.0.0"


def test_result_of_recognition_picks_v2(schema_dir: Path, example: bytes) -> None:
    head, tag, tail = example.rpartition(b"<issueDate>")  # the report's own, after the LOS list
    data = head + b"<resultOfRecognition><status>Positive</status></resultOfRecognition>" + tag + tail
    assert validate_xsd(example, schema_dir).version == "1.7.0"
    assert validate_xsd(data, schema_dir).version == "2.0.0"


def test_without_v2_folder_v2_documents_are_checked_against_newest_v1(
    schema_dir: Path, example: bytes, tmp_path: Path
) -> None:
    only_v1 = _copy(schema_dir, tmp_path, "v1.7.0", "imports")
    assert available_versions(only_v1) == ["1.7.0"]
    data = example.replace(b"<bday>", b"<dateOfBirth>").replace(b"</bday>", b"</dateOfBirth>")
    report = validate_xsd(data, only_v1)
    assert report.version == "1.7.0"
    assert [p.line for p in report.errors] == [31]


def test_current_address_must_use_the_ewp_address_namespace(schema_dir: Path, example: bytes) -> None:
    elmo_ns = _after_bday(
        example, "<currentAddress><locality>Warszawa</locality><country>PL</country></currentAddress>"
    )
    report = validate_xsd(elmo_ns, schema_dir)
    assert not report.valid
    assert "Element 'locality': This element is not expected" in report.errors[0].message
    assert "addr:" in report.errors[0].message  # what was expected, with a readable prefix

    ewp_ns = _after_bday(
        example,
        f'<currentAddress xmlns:a="{ADDR_NS}"><a:locality>Warszawa</a:locality>'
        "<a:country>PL</a:country></currentAddress>",
    )
    assert validate_xsd(ewp_ns, schema_dir).valid


@pytest.mark.parametrize("code", ["XK", "pl"])
def test_citizenship_outside_the_europass_list_is_invalid(
    schema_dir: Path, example: bytes, code: str
) -> None:
    report = validate_xsd(_with_citizenship(example, code), schema_dir)
    assert not report.valid
    assert report.errors[0].line == 26
    message = report.errors[0].message
    assert f"The value '{code}' is not an element of the set" in message
    assert len(message) < 300  # the country list is shortened, not dumped


def test_citizenship_from_the_list_is_valid(schema_dir: Path, example: bytes) -> None:
    assert validate_xsd(_with_citizenship(example, "FI"), schema_dir).valid


def test_not_well_formed_input_raises_with_line(schema_dir: Path) -> None:
    with pytest.raises(XmlError) as info:
        validate_xsd(b"<elmo>\n<learner>\n</elmo>", schema_dir)
    assert info.value.line == 3


def test_doctype_input_is_refused(schema_dir: Path) -> None:
    with pytest.raises(XmlError, match="DOCTYPE"):
        validate_xsd(b'<!DOCTYPE elmo SYSTEM "http://example.org/x.dtd"><elmo/>', schema_dir)


def test_no_folder_configured_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, example: bytes) -> None:
    monkeypatch.delenv(SCHEMA_DIR_ENV, raising=False)
    with pytest.raises(SchemaUnavailable, match=r"EMREX_ELMO_SCHEMA_DIR.*emrex elmo schemas fetch"):
        validate_xsd(example)


def test_folder_from_environment(monkeypatch: pytest.MonkeyPatch, schema_dir: Path, example: bytes) -> None:
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(schema_dir))
    assert validate_xsd(example).valid


def test_missing_folder_is_a_clear_error(tmp_path: Path, example: bytes) -> None:
    with pytest.raises(SchemaUnavailable, match=r"nowhere does not exist.*schemas fetch"):
        validate_xsd(example, tmp_path / "nowhere")


def test_missing_version_lists_the_available_ones(schema_dir: Path, example: bytes) -> None:
    with pytest.raises(SchemaUnavailable, match=r"version 1\.6\.0 is not in .*available: 1\.7\.0, 2\.0\.0"):
        validate_xsd(example, schema_dir, version="1.6.0")
    with pytest.raises(SchemaUnavailable, match="not an ELMO version"):
        validate_xsd(example, schema_dir, version="latest")


def test_empty_folder_has_no_version(tmp_path: Path, example: bytes) -> None:
    with pytest.raises(SchemaUnavailable, match="holds no version folder"):
        validate_xsd(example, tmp_path)


def test_missing_import_file_is_named(schema_dir: Path, tmp_path: Path, example: bytes) -> None:
    folder = _copy(schema_dir, tmp_path, "v1.7.0", "imports")
    (folder / "imports" / "ewp-specs-architecture" / "common-types.xsd").unlink()
    with pytest.raises(SchemaUnavailable, match=r"common-types\.xsd is missing"):
        validate_xsd(example, folder)


def test_import_url_outside_the_mapping_is_refused(schema_dir: Path, tmp_path: Path, example: bytes) -> None:
    folder = _copy(schema_dir, tmp_path, "v1.7.0", "imports")
    main = folder / "v1.7.0" / "schema.xsd"
    main.write_bytes(
        main.read_bytes().replace(b"http://www.w3.org/2001/03/xml.xsd", b"http://127.0.0.1:9/xml.xsd")
    )
    with pytest.raises(
        SchemaUnavailable, match=r"imports http://127\.0\.0\.1:9/xml\.xsd, which is not one of"
    ):
        validate_xsd(example, folder)


def test_local_file_import_is_refused_too(schema_dir: Path, tmp_path: Path, example: bytes) -> None:
    folder = _copy(schema_dir, tmp_path, "v1.7.0", "imports")
    secret = tmp_path / "elsewhere.xsd"
    secret.write_bytes(b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    main = folder / "v1.7.0" / "schema.xsd"
    main.write_bytes(
        main.read_bytes().replace(b"http://www.w3.org/2001/03/xml.xsd", secret.as_uri().encode())
    )
    with pytest.raises(SchemaUnavailable, match="not one of the known ELMO imports"):
        validate_xsd(example, folder)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_import_map_covers_both_schemes(scheme: str) -> None:
    github = f"{scheme}://raw.githubusercontent.com/"
    assert import_target(f"{scheme}://www.w3.org/2001/03/xml.xsd", "v2.0.0") == "imports/xml.xsd"
    assert (
        import_target(github + "emrex-eu/elmo-schemas/v1/references/xmldsig-core-schema.xsd", "v2.0.0")
        == "v2.0.0/references/xmldsig-core-schema.xsd"
    )
    assert (
        import_target(github + "erasmus-without-paper/ewp-specs-types-address/stable-v1/schema.xsd", "v1.7.0")
        == "imports/ewp-specs-types-address/schema.xsd"
    )
    assert import_target(github + "emrex-eu/elmo-schemas/v1/../../evil/references/x.xsd", "v1.7.0") is None
    assert import_target(f"{scheme}://www.w3.org.evil.example/2001/03/xml.xsd", "v1.7.0") is None


def test_compiled_once_per_folder_and_version_and_again_after_replacement(
    schema_dir: Path, tmp_path: Path, example: bytes
) -> None:
    folder = _copy(schema_dir, tmp_path, "v1.7.0", "imports")
    first = compiled_schema(folder, "1.7.0")
    assert compiled_schema(folder, "1.7.0") is first
    validate_xsd(example, folder)
    assert compiled_schema(folder, "1.7.0") is first
    main = folder / "v1.7.0" / "schema.xsd"
    replacement = tmp_path / "schema.xsd.new"
    replacement.write_bytes(main.read_bytes())
    replacement.replace(main)  # what a new fetch does
    assert compiled_schema(folder, "1.7.0") is not first


def test_parallel_validation_keeps_each_documents_errors(schema_dir: Path, example: bytes) -> None:
    bad = _with_citizenship(example, "XK")
    results: list[tuple[bool, int]] = []
    lock = threading.Lock()

    def work(data: bytes) -> None:
        for _ in range(20):
            report = validate_xsd(data, schema_dir)
            with lock:
                results.append((report.valid, len(report.errors)))

    threads = [threading.Thread(target=work, args=(data,)) for data in (example, bad, example, bad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(results)) == [(False, 1), (True, 0)]
    assert len(results) == 80


def test_document_cannot_choose_its_own_schema(schema_dir: Path, example: bytes, tmp_path: Path) -> None:
    anything = tmp_path / "anything.xsd"
    anything.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="https://github.com/emrex-eu/elmo-schemas/tree/v1">'
        '<xs:element name="elmo"><xs:complexType><xs:sequence>'
        '<xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>'
        "</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    hostile = _with_citizenship(example, "XK").replace(
        b'schema.xsd"',
        f'{anything.as_uri()}" xsi:noNamespaceSchemaLocation="{anything.as_uri()}"'.encode(),
        1,
    )
    assert anything.as_uri().encode() in hostile
    report = validate_xsd(hostile, schema_dir)
    assert not report.valid
    assert "'XK'" in report.errors[0].message
