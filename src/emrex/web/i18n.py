"""Message catalogs and the choice of language.

Catalogs are gettext ``.po`` files under ``<locale dir>/<lang>/LC_MESSAGES/messages.po``. They are
compiled in memory when first needed (Babel), so no ``.mo`` build step exists and the wheel only has
to include the ``.po`` files. A service passes its own locale directories; their messages are merged
over ours. Update a catalog with::

    pybabel extract -F src/emrex/web/locale/babel.cfg -o /tmp/messages.pot src/emrex/web
    pybabel update -i /tmp/messages.pot -d src/emrex/web/locale
"""

from __future__ import annotations

import gettext as gettext_module
import io
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emrex.web.auth import safe_next
from emrex.web.sessions import read_cookie
from emrex.web.settings import WebSettings

BUILTIN_LOCALE_DIR = Path(__file__).parent / "locale"
SCOPE_KEY = "emrex.language"
LANGUAGE_PATH = "/language"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Browsers set to Norwegian often say "no" (or "nn", Nynorsk): Bokmål is the nearest catalog.
_WRITTEN_AS = {"no": "nb", "nn": "nb"}
_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """The language's own name for itself (CLDR through Babel, "Svenska"), else its code."""
    try:
        name = Locale.parse(code).get_display_name(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return name[:1].upper() + name[1:] if name else code


@lru_cache(maxsize=4096)
def country_name(language: str, code: str) -> str:
    """The country's name in ``language`` (CLDR through Babel), else the code as given."""
    try:
        name = Locale.parse(language).territories.get(code.upper())
    except (ValueError, UnknownLocaleError):
        name = None
    return str(name) if name else code


def _compile(po_file: Path, language: str) -> Translations:
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Catalogs:
    """The translations of every configured language, loaded once per process."""

    def __init__(self, languages: Iterable[str], locale_dirs: Iterable[Path] = ()) -> None:
        self.languages = tuple(languages)
        dirs = [BUILTIN_LOCALE_DIR, *locale_dirs]
        self._translations: dict[str, gettext_module.NullTranslations] = {}
        for language in self.languages:
            merged: Translations | None = None
            for directory in dirs:
                po_file = Path(directory) / language / "LC_MESSAGES" / "messages.po"
                if not po_file.is_file():
                    continue
                loaded = _compile(po_file, language)
                merged = loaded if merged is None else merged.merge(loaded)
            self._translations[language] = merged or gettext_module.NullTranslations()

    def get(self, language: str) -> gettext_module.NullTranslations:
        return self._translations.get(language) or gettext_module.NullTranslations()


def parse_accept_language(header: str) -> list[str]:
    """Language tags in the order the browser prefers them (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0:
            weighted.append((-quality, position, match.group(1).lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(settings: WebSettings, chosen: str | None, accept_language: str | None) -> str:
    if chosen in settings.languages:
        return chosen
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        primary = _WRITTEN_AS.get(primary, primary)
        if primary in settings.languages:
            return primary
    return settings.default_language


def current_language(connection: HTTPConnection) -> str:
    language = connection.scope.get(SCOPE_KEY)
    return language if isinstance(language, str) else "en"


class LocaleMiddleware:
    """Chooses the language: ``?lang=`` (remembered in a cookie), the cookie, Accept-Language, default."""

    def __init__(self, app: ASGIApp, *, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        picked = _query_language(scope.get("query_string", b""))
        if picked not in self.settings.languages:
            picked = None
        remembered = read_cookie(scope, self.settings.language_cookie)
        accept = None
        for name, value in scope.get("headers", ()):
            if name == b"accept-language":
                accept = value.decode("latin-1")
        scope[SCOPE_KEY] = negotiate(self.settings, picked or remembered, accept)
        if picked is None or picked == remembered:
            await self.app(scope, receive, send)
            return
        cookie = (
            f"{self.settings.language_cookie}={picked}; "
            f"{self.settings.cookie_attributes(max_age=LANGUAGE_COOKIE_MAX_AGE)}"
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _query_language(query: bytes) -> str | None:
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"lang":
            return value.decode("latin-1")
    return None


def language_router() -> APIRouter:
    """``GET /language?lang=..&next=..``: the language picker's target. ``LocaleMiddleware`` has
    remembered ``lang`` already; this leads back to ``next``, when it is a path on this site."""
    router = APIRouter()

    @router.get(LANGUAGE_PATH, include_in_schema=False)
    def change_language(request: Request) -> RedirectResponse:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)

    return router
