"""The schemas agree with the typed settings they are built into: same defaults, a doc for each."""

from __future__ import annotations

import dataclasses
from typing import Any

from emrex.config.reader import variables
from emrex.config.schema import Setting, Table
from emrex.config.services import EMC, EMP, LOGIN, REGISTRY
from emrex.emp.config import EmpSettings, ServerSettings
from emrex.web.login.settings import OidcSettings, RateLimit
from emrex.web.server import ServerTimeouts


def _defaults(cls: Any) -> dict[str, Any]:
    found = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = f.default_factory()
    return found


def _same(a: object, b: object) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return a == b


def test_every_setting_has_a_one_line_doc() -> None:
    for service in (EMP, EMC, REGISTRY):
        for path, spec in service.root.leaves():
            assert spec.doc and "\n" not in spec.doc, ".".join(path)


def test_emp_defaults_are_the_settings_defaults() -> None:
    root = EMP.root.fields
    for name, default in _defaults(EmpSettings).items():
        spec = root.get(name)
        if isinstance(spec, Setting):
            assert _same(spec.default, default) or (spec.default == "" and default is None), name
    server = root["server"]
    assert isinstance(server, Table)
    for name, default in _defaults(ServerSettings).items():
        if name in server.fields:
            assert _same(server.fields[name].default, default), name  # type: ignore[union-attr]
    timeouts = ServerTimeouts()
    assert server.fields["header_timeout_seconds"].default == timeouts.header_seconds  # type: ignore[union-attr]
    assert server.fields["body_timeout_seconds"].default == timeouts.body_seconds  # type: ignore[union-attr]


def test_login_defaults_are_the_settings_defaults() -> None:
    for table, cls in ((LOGIN.fields["rate_limit"], RateLimit), (LOGIN.fields["oidc"], OidcSettings)):
        assert isinstance(table, Table)
        for name, default in _defaults(cls).items():
            spec = table.fields.get(name)
            if isinstance(spec, Setting):
                assert _same(spec.default, default), name


def test_secrets_are_marked_and_can_come_from_files() -> None:
    assert "EMREX_EMP_KEY_PASSWORD_FILE" in variables(EMP)
    assert "EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET_FILE" in variables(EMP)
    assert "EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET_FILE" in variables(EMC)
    assert "EMREX_EMC_WEBHOOK__SECRET_FILE" in variables(EMC)
    assert "EMREX_EMC_DATABASE_URL_FILE" not in variables(EMC)
    assert "EMREX_REGISTRY_PORT" in variables(REGISTRY)
