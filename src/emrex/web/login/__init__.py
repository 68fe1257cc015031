"""Pluggable login for the EMP and EMC: OpenID Connect, SAML (native, or trusted headers from a
Shibboleth SP in front), or demo accounts.

A service builds ``LoginSettings.from_mapping(config["login"])`` and includes
``login_router(settings, database)``; its app must list ``TEMPLATES_DIR`` and ``LOCALE_DIR`` among its
template and locale directories, and ``cross_site_paths(settings)`` among its CSRF-exempt paths.
Pages that need a person use ``emrex.web.auth.require_person`` or ``require_role("staff")``.
"""

from __future__ import annotations

from emrex.web.login.demo import hash_password
from emrex.web.login.headers import request_address
from emrex.web.login.router import LOCALE_DIR, LOGIN_PATHS, TEMPLATES_DIR, login_router
from emrex.web.login.saml_routes import cross_site_paths
from emrex.web.login.settings import LoginSettings
from emrex.web.login.table import LoginConfigError

__all__ = [
    "LOCALE_DIR",
    "LOGIN_PATHS",
    "TEMPLATES_DIR",
    "LoginConfigError",
    "LoginSettings",
    "cross_site_paths",
    "hash_password",
    "login_router",
    "request_address",
]
