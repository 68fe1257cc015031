"""The root of every exception the platform raises on purpose.

Each exception carries one line a person can read: ``str(error)`` is what a CLI prints, what a page
shows and what goes into an EMREX ``returnMessage``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs (extracted like ``_``); the page translates it later."""
    return message


class EmrexError(Exception):
    """Something the caller can act on; the message says what was wrong.

    ``worded`` builds one from a catalog message (marked with ``N_``) and its values, so a page can
    show it in the visitor's language (``translated``); ``str(error)`` stays English.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.msgid: str | None = None
        self.values: dict[str, str] = {}

    def worded(self, text: str, **values: object) -> Self:
        self.msgid = text
        self.values = {name: str(value) for name, value in values.items()}
        self.message = text % self.values
        self.args = (self.message,)
        return self

    def translated(self, translate: Callable[[str], str]) -> str:
        """The message in the language of ``translate`` (a gettext), as far as a catalog has it."""
        if self.msgid is None:
            return self.message
        try:
            return translate(self.msgid) % self.values
        except (KeyError, ValueError, TypeError):
            return self.message

    def __str__(self) -> str:
        return self.message


class InputTooLarge(EmrexError):
    """Input exceeds a configured size limit."""


class XmlError(EmrexError):
    """The bytes are not well-formed XML, or use XML features we refuse (DTDs, entities)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class NotWellFormed(XmlError):
    """The bytes cannot be read as XML at all (a command says: unreadable, exit 2)."""


class HostError(EmrexError):
    """A URL's host that browsers refuse, or write otherwise than it is written (``emrex.hosts``)."""


class TransportError(EmrexError):
    """The ``elmo`` form field cannot be decoded (base64, gzip, limits)."""
