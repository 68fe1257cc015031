"""Jinja2 pages: autoescaped templates, ``_()`` in the visitor's language, flash messages.

Services render with ``render(request, "name.html", {...})`` and extend ``base.html``. Templates are
looked up in the service's directories first, then in ``emrex/web/templates``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from emrex.errors import EmrexError
from emrex.web.auth import safe_next
from emrex.web.i18n import Catalogs, country_name, current_language, language_name
from emrex.web.look import Look, page_of
from emrex.web.sessions import SCOPE_KEY as SESSION_SCOPE_KEY
from emrex.web.sessions import WebSession
from emrex.web.settings import WebSettings
from emrex.web.translator import Translator

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
FLASH_KEY = "_flash"
FLASH_CATEGORIES = ("info", "success", "warning", "error")
STATE_KEY = "emrex_pages"
AUTOPOST_TEMPLATE = "emrex/autopost.html"
# Adds variables to every page (e.g. the logged-in person); a page's own values win.
ContextProcessor = Callable[[Request], Mapping[str, Any]]


@jinja2.pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    """``_``/``gettext`` of a template rendered without ``Pages.context`` (it gives the kept ones)."""
    return Translator(context["_translations"]).gettext(context.eval_ctx, message, **variables)


@jinja2.pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    return Translator(context["_translations"]).ngettext(context.eval_ctx, singular, plural, num, **variables)


def _session_of(context: Context) -> WebSession | None:
    request = context.get("request")
    if not isinstance(request, HTTPConnection):
        return None
    session = request.scope.get(SESSION_SCOPE_KEY)
    return session if isinstance(session, WebSession) else None


@jinja2.pass_context
def _csrf_field(context: Context) -> Markup:
    session = _session_of(context)
    if session is None:
        raise RuntimeError("csrf_field() needs a request with a web session")
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(session.csrf_token)


@jinja2.pass_context
def _flashed_messages(context: Context) -> list[tuple[str, str]]:
    session = _session_of(context)
    if session is None:
        return []
    stored = session.pop(FLASH_KEY, [])
    return [(str(category), str(text)) for category, text in stored] if isinstance(stored, list) else []


@jinja2.pass_context
def _country_name(context: Context, code: str | None, fallback: str = "") -> str:
    """The country's name in the page's language (CLDR), else ``fallback`` or the code."""
    if not code:
        return fallback
    name = country_name(str(context.get("lang") or "en"), code)
    return fallback if name == code and fallback else name


class Pages:
    def __init__(
        self,
        settings: WebSettings,
        catalogs: Catalogs,
        *,
        title: str,
        templates_dirs: Iterable[Path] = (),
        context_processors: Iterable[ContextProcessor] = (),
        look: Look | None = None,
    ) -> None:
        self.settings = settings
        self.look = look or Look()
        self.context_processors = tuple(context_processors)
        self.catalogs = catalogs
        self.title = title
        loader = jinja2.FileSystemLoader([*map(str, templates_dirs), str(BUILTIN_TEMPLATES)])
        self.env = jinja2.Environment(
            loader=loader,
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates are the package's: no stat of each file on every page
        )
        # jinja2.ext.i18n parses {% trans %} for the newstyle callables; ours replace its globals.
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self.env.globals.update(
            _=_gettext,
            gettext=_gettext,
            ngettext=_ngettext,
            csrf_field=_csrf_field,
            flashed_messages=_flashed_messages,
            country_name=_country_name,
        )
        self.translators = {language: Translator(catalogs.get(language)) for language in catalogs.languages}
        self.languages = tuple((code, language_name(code)) for code in settings.languages)

    def context(
        self, request: Request, extra: Mapping[str, Any] | None = None, *, processors: bool = True
    ) -> dict[str, Any]:
        language = current_language(request)
        translator = self.translators.get(language) or Translator(self.catalogs.get(language))
        base: dict[str, Any] = {
            "request": request,
            "lang": language,
            "_translations": translator.translations,
            "_": translator.gettext,
            "gettext": translator.gettext,
            "ngettext": translator.ngettext,
            "service_title": self.title,
            "look": self.look,
            "languages": self.languages,
            "language_next": _this_page(request),
            "person": None,
            "request_id": request.scope.get("emrex.request_id", ""),
        }
        for processor in self.context_processors if processors else ():
            base.update(processor(request))
        base.update(extra or {})
        return base

    def render_text(
        self, request: Request, name: str, extra: Mapping[str, Any] | None = None, *, processors: bool = True
    ) -> str:
        context = self.context(request, extra, processors=processors)
        context.setdefault("page_text", self.look.text(page_of(name), context["lang"]))
        return self.env.get_template(name).render(context)

    def render(
        self,
        request: Request,
        name: str,
        extra: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        processors: bool = True,
    ) -> HTMLResponse:
        if status_code >= 400 and not (extra and "language_next" in extra):
            # An error page does not echo what was asked for (the request may be an attack): the
            # language picker leads home.
            extra = {**(extra or {}), "language_next": "/"}
        text = self.render_text(request, name, extra, processors=processors)
        return HTMLResponse(text, status_code=status_code, headers=headers)


def _this_page(request: Request) -> str:
    """Where the language picker leads back to: this page when a GET shows it (its path normalised,
    ``lang`` left out), else the home page; a page shown for a POST names its own (``language_next``)."""
    if request.method not in ("GET", "HEAD"):
        return "/"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    target = request.url.path + (f"?{urlencode(query)}" if query else "")
    if len(target) > MAX_NEXT:  # a page is not echoed back whole (a 60 000-character search)
        target = request.url.path if len(request.url.path) <= MAX_NEXT else "/"
    return safe_next(target)


MAX_NEXT = 1000


def pages_of(request: HTTPConnection) -> Pages:
    pages = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(pages, Pages):
        raise RuntimeError("no page renderer: the app was not built with emrex.web.create_web_app")
    return pages


def render(
    request: Request,
    name: str,
    extra: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name`` with the layout's context (language, flash messages, CSRF) plus ``extra``."""
    return pages_of(request).render(request, name, extra, status_code=status_code, headers=headers)


def autopost(
    request: Request,
    action: str,
    fields: Sequence[tuple[str, str]],
    *,
    target_name: str,
    heading: str | None = None,
    back: str = "/",
) -> HTMLResponse:
    """The EMREX redirect: a page whose form posts ``fields`` to ``action``, submitted by
    ``/static/emrex-autosubmit.js``, or by the visible Continue button without JavaScript.
    ``back``: the local page that shows this step again (where changing the language leads)."""
    context = {
        "action": action,
        "fields": list(fields),
        "target_name": target_name,
        "heading": heading,
        "language_next": back,
    }
    return render(request, AUTOPOST_TEMPLATE, context)


def gettext(request: HTTPConnection, message: str) -> str:
    """``message`` in the visitor's language (for strings made in Python code)."""
    return str(pages_of(request).catalogs.get(current_language(request)).gettext(message))


def error_text(request: HTTPConnection, error: EmrexError) -> str:
    """The error's message in the visitor's language (as far as the catalogs have it)."""
    return error.translated(lambda text: gettext(request, text))


def flash(request: HTTPConnection, message: str, category: str = "info") -> None:
    """Show ``message`` (already translated) on the next page rendered for this visitor."""
    if category not in FLASH_CATEGORIES:
        raise ValueError(f"flash category must be one of {FLASH_CATEGORIES}")
    session = request.scope.get(SESSION_SCOPE_KEY)
    if not isinstance(session, WebSession):
        raise RuntimeError("flash() needs a request with a web session")
    messages = session.get(FLASH_KEY) or []
    session.set(FLASH_KEY, [*messages, [category, message]])
