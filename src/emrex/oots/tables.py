"""The evidence provider's exchanges in the database (``oots_exchange``): they survive a restart and every
worker of the EMP sees the same ones (``DatabaseExchangeStore``, an ``ExchangeStore``).

Only a SHA-256 hash of the preview token is stored, so the table's contents open no preview. A change
is an ``UPDATE … WHERE version = expected``: two workers changing one exchange cannot both win. Agreed
evidence is dropped once its exchange is past its deadline, and whole exchanges a day later
(``purge``, run on the way whenever an exchange is created); until then a late repeated request still
gets the timeout its exchange ended in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.oots.exchange import Exchange, State
from emrex.oots.model import Agent, EvidencePart, EvidenceType, Identifier, NaturalPerson, Role
from emrex.oots.model import Text as Txt

# How long a finished or expired exchange is kept, so that a late repeated request gets its ending.
RETENTION = dt.timedelta(days=1)


class OotsExchangeRow(Base):
    __tablename__ = "oots_exchange"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    request: Mapped[str] = mapped_column(Text)  # JSON: who asked what about whom
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, base64 contents


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DatabaseExchangeStore:
    def __init__(self, database: Database, *, retention: dt.timedelta = RETENTION) -> None:
        self.database = database
        self.retention = retention

    def create(self, exchange: Exchange) -> None:
        self.purge(exchange.created_at)
        try:
            with self.database.session() as db:
                db.add(_row(exchange))
        except IntegrityError:
            raise ValueError("an exchange with this token exists already") from None

    def get(self, token: str) -> Exchange | None:
        with self.database.session(readonly=True) as db:
            row = db.get(OotsExchangeRow, token_hash(token))
            return _exchange(token, row) if row is not None else None

    def update(self, exchange: Exchange, *, expected_version: int) -> bool:
        values = _row(exchange)
        with self.database.session() as db:
            result = db.execute(
                update(OotsExchangeRow)
                .where(
                    OotsExchangeRow.token_hash == values.token_hash,
                    OotsExchangeRow.version == expected_version,
                )
                .values(
                    version=values.version,
                    state=values.state,
                    subject=values.subject,
                    expires_at=values.expires_at,
                    request=values.request,
                    evidence=values.evidence,
                )
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def purge(self, now: dt.datetime | None = None) -> int:
        """Drop the evidence of exchanges past their deadline, and exchanges past it by ``retention``;
        returns how many exchanges were deleted."""
        now = now or utcnow()
        with self.database.session() as db:
            db.execute(
                update(OotsExchangeRow)
                .where(OotsExchangeRow.expires_at <= now, OotsExchangeRow.evidence.is_not(None))
                .values(evidence=None)
            )
            result = db.execute(
                delete(OotsExchangeRow).where(OotsExchangeRow.expires_at <= now - self.retention)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def __len__(self) -> int:
        with self.database.session(readonly=True) as db:
            return len(db.execute(select(OotsExchangeRow.token_hash)).all())


def _row(exchange: Exchange) -> OotsExchangeRow:
    request = {
        "request_id": exchange.request_id,
        "conversation_id": exchange.conversation_id,
        "requester": _agent(exchange.requester),
        "person": {
            "family_name": exchange.person.family_name,
            "given_name": exchange.person.given_name,
            "date_of_birth": exchange.person.date_of_birth.isoformat()
            if exchange.person.date_of_birth
            else None,
            "identifier": exchange.person.identifier,
            "identifier_scheme": exchange.person.identifier_scheme,
            "level_of_assurance": exchange.person.level_of_assurance,
        },
        "evidence_type": {
            "identifier": exchange.evidence_type.identifier,
            "classification": exchange.evidence_type.classification,
            "titles": _texts(exchange.evidence_type.titles),
            "descriptions": _texts(exchange.evidence_type.descriptions),
            "formats": list(exchange.evidence_type.formats),
            "language": exchange.evidence_type.language,
        },
        "procedure": exchange.procedure,
        "return_location": exchange.return_location,
        "detail": exchange.detail,
    }
    evidence = [
        {
            "content": base64.b64encode(part.content).decode("ascii"),
            "media_type": part.media_type,
            "role": part.role.value,
            "title": part.title,
            "cid": part.cid,
            "identifier": part.identifier,
        }
        for part in exchange.evidence
    ]
    return OotsExchangeRow(
        token_hash=token_hash(exchange.token),
        version=exchange.version,
        state=exchange.state.value,
        subject=exchange.subject,
        created_at=exchange.created_at,
        expires_at=exchange.expires_at,
        request=json.dumps(request, ensure_ascii=False),
        evidence=json.dumps(evidence) if evidence else None,
    )


def _exchange(token: str, row: OotsExchangeRow) -> Exchange:
    data = json.loads(row.request)
    person, kind = data["person"], data["evidence_type"]
    birth = person["date_of_birth"]
    evidence = tuple(
        EvidencePart(
            content=base64.b64decode(part["content"]),
            media_type=part["media_type"],
            role=Role(part["role"]),
            title=part["title"],
            cid=part["cid"],
            identifier=part["identifier"],
        )
        for part in (json.loads(row.evidence) if row.evidence else [])
    )
    return Exchange(
        token=token,
        request_id=data["request_id"],
        conversation_id=data["conversation_id"],
        requester=_agent_of(data["requester"]),
        person=NaturalPerson(
            family_name=person["family_name"],
            given_name=person["given_name"],
            date_of_birth=dt.date.fromisoformat(birth) if birth else None,
            identifier=person["identifier"],
            identifier_scheme=person["identifier_scheme"],
            level_of_assurance=person["level_of_assurance"],
        ),
        evidence_type=EvidenceType(
            identifier=kind["identifier"],
            classification=kind["classification"],
            titles=_texts_of(kind["titles"]),
            descriptions=_texts_of(kind["descriptions"]),
            formats=tuple(kind["formats"]),
            language=kind["language"],
        ),
        procedure=data["procedure"],
        return_location=data["return_location"],
        created_at=row.created_at,
        expires_at=row.expires_at,
        state=State(row.state),
        subject=row.subject,
        evidence=evidence,
        detail=data["detail"],
        version=row.version,
    )


def _agent(agent: Agent) -> dict[str, Any]:
    return {
        "identifier": agent.identifier.value,
        "scheme": agent.identifier.scheme,
        "names": _texts(agent.names),
        "country": agent.country,
        "classification": agent.classification,
    }


def _agent_of(data: dict[str, Any]) -> Agent:
    return Agent(
        Identifier(data["identifier"], data["scheme"]),
        _texts_of(data["names"]),
        data["country"],
        data["classification"],
    )


def _texts(texts: tuple[Txt, ...]) -> list[list[str]]:
    return [[t.text, t.lang] for t in texts]


def _texts_of(data: list[list[str]]) -> tuple[Txt, ...]:
    return tuple(Txt(text, lang) for text, lang in data)
