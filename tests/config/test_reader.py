"""The reader: each source (default, file, environment, _FILE), each error kind, typos refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from emrex.config import ConfigError, Service, Setting, Table, from_mapping, read
from emrex.config.services import EMC, EMP
from emrex.errors import EmrexError

SHOP = Service(
    "shop",
    Table(
        "a small service for these tests",
        {
            "title": Setting("text", "its name", "Shop"),
            "port": Setting("int", "port", 8000),
            "tags": Setting("list", "tags", []),
            "server": Table("web server", {"workers": Setting("int", "processes", 1)}),
            "db": Table(
                "database",
                {"url": Setting("url", "where"), "password": Setting("text", "secret", "", secret=True)},
            ),
            "extra": Table("free keys", free=True),
            "items": Table("many", {"name": Setting("text", "a name")}, many=True),
        },
    ),
)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_value_remembers_its_source(tmp_path: Path) -> None:
    path = _file(tmp_path, 'title = "Corner shop"\n[server]\nworkers = 2\n')
    secret = tmp_path / "password"
    secret.write_text("hunter2-but-longer\n", encoding="utf-8")
    environ = {
        "EMREX_SHOP_SERVER__WORKERS": " 4 ",
        "EMREX_SHOP_DB__URL": " https://db.example ",
        "EMREX_SHOP_DB__PASSWORD_FILE": str(secret),
        "EMREX_SHOP_CONFIG": "ignored: the file's own path",
        "EMREX_OTHER_THING": "another service's",
    }
    loaded = read(SHOP, path, environ)
    assert loaded.data["title"] == "Corner shop"
    assert loaded.data["server"]["workers"] == 4
    assert loaded.data["db"] == {"url": "https://db.example", "password": "hunter2-but-longer"}
    assert "port" not in loaded.data  # a default stays with the schema
    assert loaded.origins["title"].kind == "file" and loaded.origins["title"].where == str(path)
    assert loaded.origins["server.workers"].where == "EMREX_SHOP_SERVER__WORKERS"
    assert loaded.origins["db.password"].where == "EMREX_SHOP_DB__PASSWORD_FILE"
    assert "port" not in loaded.origins


def test_environment_text_is_converted_by_kind() -> None:
    environ = {
        "EMREX_SHOP_PORT": "9000",
        "EMREX_SHOP_TAGS": "a, b,,c ",
        "EMREX_SHOP_EXTRA__LIMIT": "8",
        "EMREX_SHOP_EXTRA__NAME": "plain text",
    }
    data = from_mapping(SHOP, {}, environ).data
    assert data["port"] == 9000 and data["tags"] == ["a", "b", "c"]
    assert data["extra"] == {"limit": 8, "name": "plain text"}
    assert from_mapping(SHOP, {}, {"EMREX_SHOP_TAGS": '["x, y", "z"]'}).data["tags"] == ["x, y", "z"]


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    loaded = read(SHOP, _file(tmp_path, "port = 1\n"), {"EMREX_SHOP_PORT": "2"})
    assert loaded.data["port"] == 2 and loaded.origins["port"].kind == "environment"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("titel = 'x'", "shop.toml: titel: unknown setting (did you mean title?)"),
        ("[server]\nworker = 2", "shop.toml: server.worker: unknown setting (did you mean workers?)"),
        ("colour = 'red'", "shop.toml: colour: unknown setting (known here: title, port,"),
        (
            "[[items]]\nname = 'a'\n[[items]]\nnme = 'b'",
            r"items[1].nme: unknown setting (did you mean name?)",
        ),
    ],
)
def test_unknown_file_keys_are_refused_by_name(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read(SHOP, _file(tmp_path, text), {})
    assert message in str(caught.value) and caught.value.kind == "unknown"
    assert caught.value.origin.endswith("shop.toml")


def test_unknown_variables_are_refused_with_the_closest_name() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^EMREX_SHOP_SERVER__WORKRS: unknown setting \(did you mean "
        r"EMREX_SHOP_SERVER__WORKERS\?\)$",
    ) as caught:
        from_mapping(SHOP, {}, {"EMREX_SHOP_SERVER__WORKRS": "2"})
    assert caught.value.kind == "unknown" and caught.value.origin == "EMREX_SHOP_SERVER__WORKRS"
    # One underscore where the convention has two: the suggestion says so.
    with pytest.raises(ConfigError, match=r"did you mean EMREX_EMC_WEBHOOK__SECRET\?"):
        from_mapping(EMC, {}, {"EMREX_EMC_WEBHOOK_SECRET": "x" * 20})
    with pytest.raises(ConfigError, match=r"^EMREX_EMC_DATABSE_URL: .*EMREX_EMC_DATABASE_URL"):
        from_mapping(EMC, {}, {"EMREX_EMC_DATABSE_URL": "sqlite://"})
    with pytest.raises(ConfigError, match=r"unknown setting$"):
        from_mapping(SHOP, {}, {"EMREX_SHOP_QQQQQQQQQQ": "1"})


def test_only_secrets_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "port").write_text("9000")
    with pytest.raises(ConfigError, match=r"^EMREX_SHOP_PORT_FILE: unknown setting"):
        from_mapping(SHOP, {}, {"EMREX_SHOP_PORT_FILE": str(tmp_path / "port")})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"EMREX_SHOP_PORT": "eighty"}, "EMREX_SHOP_PORT: expected a whole number, got 'eighty' (port)"),
        ({"EMREX_SHOP_DB__URL": "ftp://x"}, "EMREX_SHOP_DB__URL: expected an http(s) URL"),
        ({"EMREX_SHOP_SERVER": "2"}, "EMREX_SHOP_SERVER: server is a table; set its keys"),
        ({"EMREX_SHOP_ITEMS": "a"}, "EMREX_SHOP_ITEMS: items is a list of tables, set in the file only"),
        ({"EMREX_SHOP_SERVER____WORKERS": "2"}, "empty part in the variable name"),
        (
            {"EMREX_SHOP_DB__PASSWORD": "a", "EMREX_SHOP_DB__PASSWORD_FILE": "/dev/null"},
            "set either EMREX_SHOP_DB__PASSWORD or EMREX_SHOP_DB__PASSWORD_FILE, not both",
        ),
    ],
)
def test_bad_variables_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_mapping(SHOP, {}, environ)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.origin in environ


def test_a_bad_secret_is_not_echoed(tmp_path: Path) -> None:
    service = Service("s", Table("", {"pin": Setting("int", "a secret number", secret=True)}))
    with pytest.raises(ConfigError) as caught:
        from_mapping(service, {}, {"EMREX_S_PIN": "12ab-secret"})
    assert "12ab-secret" not in str(caught.value) and "EMREX_S_PIN" in str(caught.value)


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^EMREX_SHOP_DB__PASSWORD_FILE: .*nowhere: no such file"
    ) as caught:
        from_mapping(SHOP, {}, {"EMREX_SHOP_DB__PASSWORD_FILE": str(tmp_path / "nowhere")})
    assert caught.value.kind == "unreadable"


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file") as caught:
        read(SHOP, tmp_path / "missing.toml", {})
    assert caught.value.kind == "unreadable"
    with pytest.raises(ConfigError, match="is a directory") as caught:
        read(SHOP, tmp_path, {})
    assert caught.value.kind == "unreadable"
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        read(SHOP, _file(tmp_path, "title = "), {})
    assert caught.value.kind == "invalid"
    (tmp_path / "latin1.toml").write_bytes('title = "Malmö"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read(SHOP, tmp_path / "latin1.toml", {})
    with pytest.raises(ConfigError, match="expected a table of settings"):
        read(SHOP, _file(tmp_path, "server = 3"), {})
    with pytest.raises(ConfigError, match=r"items: must be a list of tables, written \[\[items\]\]"):
        read(SHOP, _file(tmp_path, "items = 3"), {})
    with pytest.raises(ConfigError, match=r"EMREX_SHOP_EXTRA__DEEP__ER: extra\.deep is not a table"):
        from_mapping(SHOP, {"extra": {"deep": 3}}, {"EMREX_SHOP_EXTRA__DEEP__ER": "2"})


def test_a_service_table_in_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"needs an \[emc\] table") as caught:
        read(EMC, _file(tmp_path, 'base_url = "https://emc.example"'), {})
    assert caught.value.kind == "missing"
    with pytest.raises(ConfigError, match=r"emcc: unknown setting \(did you mean emc\?\)"):
        read(EMC, _file(tmp_path, '[emc]\ntitle = "x"\n[emcc]\ntitle = "y"'), {})


def test_domain_errors_name_the_file_or_the_variable(tmp_path: Path) -> None:
    loaded = read(EMP, _file(tmp_path, "session_minutes = 0"), {"EMREX_EMP_SERVER__WORKERS": "0"})
    error = loaded.locate(ConfigError("session_minutes: must be positive"))
    assert str(error) == f"{tmp_path / 'shop.toml'}: session_minutes: must be positive"
    assert error.origin == str(tmp_path / "shop.toml") and error.setting == "session_minutes"
    error = loaded.locate(ConfigError("server.workers: expected 1 to 64"))
    assert str(error) == "EMREX_EMP_SERVER__WORKERS: server.workers: expected 1 to 64"
    untouched = ConfigError("key_file: missing")
    assert loaded.locate(untouched) is untouched


def test_every_configuration_error_is_an_emrex_error() -> None:
    from emrex.emc.config import EmcConfigError
    from emrex.emp.config import EmpConfigError
    from emrex.registry.config import ConfigFileMissing, RegistryConfigError
    from emrex.registry.model import RegistryError
    from emrex.web.login.table import LoginConfigError

    for cls in (EmcConfigError, EmpConfigError, LoginConfigError, RegistryConfigError, ConfigFileMissing):
        assert issubclass(cls, ConfigError) and issubclass(cls, EmrexError)
    assert issubclass(RegistryConfigError, RegistryError)


def test_a_mistyped_source_option_is_named_with_the_right_one() -> None:
    from emrex.emp.config import EmpConfigError
    from emrex.emp.runtime import build_source

    with pytest.raises(EmpConfigError, match=r"^source\.tokn: unknown setting \(did you mean token\?\)$"):
        build_source({"type": "rest", "url": "https://sis.example/{id}", "tokn": "x"}, None)  # type: ignore[arg-type]


def test_the_emc_takes_its_oidc_and_webhook_secrets_from_the_environment_or_files(tmp_path: Path) -> None:
    from emrex.emc.config import settings_from_mapping

    values = {
        "base_url": "https://emc.uni.example",
        "database_url": "sqlite://",
        "registry": {"sources": ["https://emreg.example/emp-list.json"]},
        "login": {"method": "oidc", "oidc": {"issuer": "https://idp.example", "client_id": "emc"}},
        "webhook": {"url": "https://sis.uni.example/hook"},
    }
    secret = tmp_path / "oidc"
    secret.write_text("from-a-file\n", encoding="utf-8")
    hook = tmp_path / "hook"
    hook.write_text("a-webhook-secret-long-enough", encoding="utf-8")
    settings = settings_from_mapping(
        values,
        {
            "EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET_FILE": str(secret),
            "EMREX_EMC_WEBHOOK__SECRET_FILE": str(hook),
        },
    )
    assert settings.login.oidc is not None and settings.login.oidc.client_secret == "from-a-file"
    assert settings.webhook is not None and settings.webhook.secret == "a-webhook-secret-long-enough"
    settings = settings_from_mapping(
        values,
        {"EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET": " spaced ", "EMREX_EMC_WEBHOOK__SECRET": "x" * 16},
    )
    assert settings.login.oidc is not None and settings.login.oidc.client_secret == "spaced"
    with pytest.raises(
        ConfigError, match=r"^EMREX_EMC_WEBHOOK__SECRET: emc\.webhook\.secret: use at least 16"
    ):
        settings_from_mapping(values, {"EMREX_EMC_WEBHOOK__SECRET": "short"})
