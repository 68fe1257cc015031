"""The templates' ``_``, ``gettext`` and ``ngettext`` in one language.

The semantics are jinja2.ext's newstyle gettext: the translation is always a format string (``%%`` gives
``%``), Markup under autoescape so that the variables are escaped, then %-formatted with them
(``ngettext`` adds ``num``). Two costs are left out: a call without variables gives the same text every
time in a language, so it is kept (a table of 1 000 rows asks for its four labels 4 000 times); and the
callables take the evaluation context instead of the template's, for which jinja2 builds a new context
on every call inside a loop or block that sets a variable.
"""

from __future__ import annotations

import gettext as gettext_module
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from markupsafe import Markup

# Messages come from the templates (constants), so few are kept; the bound only guards against a
# template that one day translates what a visitor typed.
MAX_KEPT = 4096


class Translator:
    def __init__(self, translations: gettext_module.NullTranslations) -> None:
        self.translations = translations
        self._kept: dict[tuple[str, bool], str] = {}

    @jinja2.pass_eval_context
    def gettext(self, eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
        if variables:
            return _formatted(str(self.translations.gettext(message)), eval_ctx.autoescape, variables)
        key = (message, bool(eval_ctx.autoescape))
        text = self._kept.get(key)
        if text is None:
            text = _formatted(str(self.translations.gettext(message)), eval_ctx.autoescape, variables)
            if len(self._kept) < MAX_KEPT:
                self._kept[key] = text
        return text

    @jinja2.pass_eval_context
    def ngettext(
        self, eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        text = str(self.translations.ngettext(singular, plural, num))
        return _formatted(text, eval_ctx.autoescape, variables)


def _formatted(text: str, autoescape: bool, variables: dict[str, Any]) -> str:
    if autoescape:
        return Markup(text) % variables  # noqa: S704 - a translation is markup, as in jinja2.ext
    return text % variables
