"""Shared web plumbing for the EMP and EMC: sessions, CSRF, limits, headers, i18n, layout, errors.

A service builds its app with ``create_web_app(settings, database, title=..., exempt_paths=...)``,
adds its routes, and in handlers uses ``get_session(request)``, ``render(request, "page.html", {...})``,
``flash(request, message)`` and ``gettext(request, message)``. Templates extend ``base.html`` and put
``{{ csrf_field() }}`` in every form that posts.
"""

from __future__ import annotations

from emrex.web.app import create_web_app, serve
from emrex.web.errors import error_page
from emrex.web.i18n import current_language
from emrex.web.pages import autopost, error_text, flash, gettext, render
from emrex.web.security import script_hash
from emrex.web.sessions import WebSession, get_session
from emrex.web.settings import WebConfigError, WebSettings

__all__ = [
    "WebConfigError",
    "WebSession",
    "WebSettings",
    "autopost",
    "create_web_app",
    "current_language",
    "error_page",
    "error_text",
    "flash",
    "get_session",
    "gettext",
    "render",
    "script_hash",
    "serve",
]
