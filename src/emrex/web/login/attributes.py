"""From the attributes a login source gives (OIDC claims, SAML attributes) to a ``Person``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from emrex.errors import EmrexError
from emrex.identity import ESI_PREFIX
from emrex.web.auth import Person, Source
from emrex.web.login.settings import LoginSettings

LABELS = {
    "subject": "a stable user id",
    "given_names": "given names",
    "family_name": "family name",
    "birth_date": "date of birth",
    "email": "e-mail address",
}


class AttributeProblem(EmrexError):
    """The login source did not give what we need; ``names`` are the source's attribute names."""

    def __init__(self, message: str, names: Sequence[str]) -> None:
        super().__init__(message)
        self.names = tuple(names)


class MissingAttributes(AttributeProblem):
    pass


class BadAttribute(AttributeProblem):
    pass


def build_person(
    settings: LoginSettings,
    values: Mapping[str, Sequence[str]],
    *,
    attributes: Mapping[str, str],
    identifiers: Mapping[str, str],
    birth_date_format: str,
    required: Sequence[str],
    source: Source,
) -> Person:
    """``values`` maps source attribute names to their values (several for multi-valued ones)."""

    def first(attribute: str) -> str:
        name = attributes.get(attribute)
        found = [v.strip() for v in values.get(name, ()) if v.strip()] if name else []
        return found[0] if found else ""

    missing = [attributes.get(a, a) for a in ("subject", *required) if not first(a)]
    if missing:
        unique = list(dict.fromkeys(missing))
        raise MissingAttributes(
            "the identity provider did not send "
            + ", ".join(unique)
            + ", which this service needs to log you in",
            unique,
        )
    birth_date = None
    birth_text = first("birth_date")
    if birth_text:
        birth_date = _parse_date(birth_text, birth_date_format, attributes["birth_date"])
    ids: dict[str, str] = {}
    for kind, name in identifiers.items():
        found = [v.strip() for v in values.get(name, ()) if v.strip()]
        if not found:
            continue
        ids[kind] = found[0]
        esi = [v for v in found if v.lower().startswith(ESI_PREFIX.lower())]
        if esi:
            ids.setdefault("esi", esi[0])
    subject = first("subject")
    email = first("email")
    return Person(
        subject=subject,
        given_names=first("given_names"),
        family_name=first("family_name"),
        source=source,
        birth_date=birth_date,
        identifiers=ids,
        email=email,
        roles=settings.roles_for(subject, values),
    )


def _parse_date(text: str, fmt: str, name: str) -> date:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        example = date(2001, 2, 3).strftime(fmt)
        raise BadAttribute(
            f"the identity provider sent {name} as {text!r}, which is not a date like {example}", [name]
        ) from None
