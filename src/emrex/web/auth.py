"""Who is logged in: the ``Person`` kept in the web session, and FastAPI dependencies that need one.

The login methods themselves (OIDC, trusted headers, demo accounts) live in ``emrex.web.login``; they
all end in ``login_person``, which rotates the session id (against session fixation) and stores the
person as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request

from emrex.errors import EmrexError
from emrex.web.sessions import CSRF_KEY, get_session

Source = Literal["oidc", "headers", "demo", "saml", "staff"]  # staff: described by staff (EWP fetch)
SOURCES = ("oidc", "headers", "demo", "saml", "staff")
SESSION_KEY = "emrex.person"
LOGIN_PATH = "/login"


class SessionLike(Protocol):
    """What login needs from the server-side session of ``emrex.web``."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any) -> None: ...
    def pop(self, key: str, default: Any = None) -> Any: ...
    def clear(self) -> None: ...
    def rotate(self) -> None: ...

    @property
    def csrf_token(self) -> str: ...


class PersonError(EmrexError):
    """Stored person data cannot be read back."""


@dataclass(frozen=True)
class Person:
    subject: str
    given_names: str
    family_name: str
    source: Source
    birth_date: date | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict, hash=False)
    email: str = ""
    roles: frozenset[str] = frozenset({"student"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "identifiers", MappingProxyType(dict(self.identifiers)))
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def display_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip() or self.subject

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def to_json(self) -> str:
        return json.dumps(
            {
                "subject": self.subject,
                "given_names": self.given_names,
                "family_name": self.family_name,
                "source": self.source,
                "birth_date": self.birth_date.isoformat() if self.birth_date else None,
                "identifiers": dict(self.identifiers),
                "email": self.email,
                "roles": sorted(self.roles),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Person:
        try:
            data = json.loads(text)
            birth = data["birth_date"]
            identifiers = data["identifiers"]
            if not isinstance(identifiers, dict) or data["source"] not in SOURCES:
                raise ValueError("bad identifiers or source")
            return cls(
                subject=str(data["subject"]),
                given_names=str(data["given_names"]),
                family_name=str(data["family_name"]),
                source=data["source"],
                birth_date=date.fromisoformat(birth) if birth else None,
                identifiers={str(k): str(v) for k, v in identifiers.items()},
                email=str(data["email"]),
                roles=frozenset(str(r) for r in data["roles"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise PersonError(f"the stored login cannot be read ({error})") from None


def session_of(request: Request) -> SessionLike:
    session: SessionLike = get_session(request)
    return session


def current_person(request: Request) -> Person | None:
    stored = session_of(request).get(SESSION_KEY)
    if not isinstance(stored, str):
        return None
    try:
        return Person.from_json(stored)
    except PersonError:
        return None


def person_context(request: Request) -> dict[str, Any]:
    """A page context processor: the layout's "Signed in as" shows the logged-in person's name."""
    try:
        person = current_person(request)
    except RuntimeError:  # a page rendered outside the session middleware (early error pages)
        person = None
    return {"person": person.display_name if person else None, "current_person": person}


def login_person(request: Request, person: Person) -> None:
    """Start a logged-in session: new session id (the old one stops working), then the person."""
    session = session_of(request)
    session.rotate()
    # Whoever planted the old session knew its CSRF token: the logged-in session gets a new one, made
    # now so that it is stored with the login (the first page with a form need not write again).
    session.pop(CSRF_KEY)
    session.set(SESSION_KEY, person.to_json())
    session.set(CSRF_KEY, session.csrf_token)


def logout_person(request: Request) -> None:
    session = session_of(request)
    session.clear()
    session.rotate()


def landing(target: str | None, person: Person, staff_home: str = "") -> str:
    """Where a login ends: the local ``target``; staff sent to the home page go to ``staff_home``."""
    path = safe_next(target)
    if staff_home and path == "/" and (person.has_role("staff") or person.has_role("admin")):
        return staff_home
    return path


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` as a path on this site with its dot segments resolved, else ``default`` (no open
    redirects). Dot segments (also ``%2e``) are resolved as browsers do, so that no ``next`` can become
    ``//other.host`` in a browser that follows it: ``/.//evil.example`` gives ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    path = _without_dot_segments(parts.path)
    if not path.startswith("/") or path.startswith("//"):
        return default
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return path + query + fragment


_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def _without_dot_segments(path: str) -> str:
    """The path with ``.`` and ``..`` segments resolved the way the WHATWG URL parser does."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in _SINGLE_DOT:
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or not accept or accept == "*/*"


def require_person(request: Request) -> Person:
    """Dependency: the logged-in person; HTML requests without one are sent to the login page."""
    person = current_person(request)
    if person is not None:
        return person
    if request.method == "GET" and _wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            status_code=303,
            detail="Please log in first.",
            headers={"Location": f"{LOGIN_PATH}?next={quote(target, safe='/')}"},
        )
    raise HTTPException(status_code=401, detail="Please log in first.")


def require_role(role: str) -> Callable[[Request], Person]:
    """Dependency factory: the logged-in person, who must have ``role`` (403 page otherwise)."""

    def dependency(request: Request) -> Person:
        person = require_person(request)
        if not person.has_role(role):
            raise HTTPException(status_code=403, detail=f"This page is only for {role} users.")
        return person

    return dependency
