from __future__ import annotations

from pathlib import Path

import pytest

from emrex.registry.config import ConfigFileMissing, RegistryConfigError, load_server_config
from tests.registry.helpers import make_cert, write_config


def test_reads_countries_emps_and_certificate_files(tmp_path: Path) -> None:
    config = load_server_config(write_config(tmp_path, port=9123))
    assert (config.host, config.port) == ("127.0.0.1", 9123)
    registry = config.registry
    uw = registry.find_emp("UW")
    assert uw.country_code == "PL"
    assert uw.certificates == (make_cert("UW"), make_cert("UW-next"))
    assert registry.find_emp("UJ").certificates == (make_cert("UJ"),)
    # SE is not configured: it is added with its ISO name.
    assert [(c.code, c.name, c.single_fetch) for c in registry.countries] == [
        ("PL", "Poland", True),
        ("SE", "Sweden", False),
    ]
    assert registry.warnings == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("port = 8080", "port = 70000"), "port: must be a whole number from 1 to 65535"),
        (("port = 8080", 'port = "80"'), "port: must be a whole number"),
        (('host = "127.0.0.1"', "hots = 1"), "hots: unknown setting"),
        (('acronym = "UJ"', 'acronym = "UJ"\ncolour = "red"'), r"emps\[1\]\.colour: unknown setting"),
        (('acronym = "UJ"\n', ""), r"emps\[1\]\.acronym: is missing"),
        (
            ('"certs/uj.pem"', '"certs/missing.pem"'),
            r"emps\[1\]\.certificates\[0\]: cannot read certs/missing.pem",
        ),
        (('["certs/uj.pem"]', "[]"), r"emps\[1\]\.certificates: names no certificate file"),
        (
            ('"certs/uj.pem"', '"registry.toml"'),
            r"emps\[1\] \(UJ\): no usable certificate \(emps\[1\]\.certificates",
        ),
        (("https://usos.uj.example.org/emp", "http://usos.uj.example.org/emp"), "plain HTTP"),
        (
            ("https://usos.uj.example.org/emp", "https://usos.uw.example.org/emp"),
            "another EMP already has the url",
        ),
        (('code = "PL"', 'code = "Polska"'), r"countries\[0\]\.code: 'Polska' is not a two-letter"),
        (('country = "SE"', 'country = "Sverige"'), r"emps\[2\]\.country: 'Sverige' is not a two-letter"),
        (('acronym = "UJ"', 'acronym = "UJ"\ncountry = "PL"'), "not valid TOML"),  # the same key twice
        (
            ("singleFetch = true", 'singleFetch = "yes"'),
            r"countries\[0\]\.singleFetch: must be true or false",
        ),
        (("[[emps]]", "[emps]"), "not valid TOML"),
    ],
)
def test_each_mistake_stops_with_one_line_naming_the_setting(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(RegistryConfigError, match=message) as caught:
        load_server_config(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_config_without_emps_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text('host = "127.0.0.1"\n')
    with pytest.raises(RegistryConfigError, match="emps: no EMP is configured"):
        load_server_config(path)


def test_a_missing_file_is_told_apart(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileMissing, match="no such file"):
        load_server_config(tmp_path / "nope.toml")
