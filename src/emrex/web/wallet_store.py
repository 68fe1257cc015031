"""An OpenID4VCI issuer's state in the database (``DatabaseIssuerStore``, an ``emrex.wallet.IssuerStore``):
offers with their pre-authorized codes, transaction-code counts and access tokens (``wallet_offer``), the
nonces handed out for key proofs (``wallet_nonce``) and the status list entries of what was issued
(``wallet_status``). Every worker of a service sees the same state.

Codes, tokens and nonces are stored as SHA-256 digests (the issuer hashes them); the pre-authorized code
itself is kept only until it is redeemed, because the offer serves it. A change to an offer is an
``UPDATE … WHERE version = expected``: two workers redeeming one code cannot both win. A nonce is taken
by ``DELETE``, which only one request can do.

``revoke_subject_in`` revokes inside a transaction that is already open, so deleting a transfer and
revoking its credentials commit together.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import BigInteger, Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from emrex.db import Base, Database
from emrex.wallet.jose import Json
from emrex.wallet.statuslist import INVALID, StatusListFull, list_number
from emrex.wallet.store import ISSUED, LOCKED, IssuedRecord, OfferRecord

ALLOCATION_TRIES = 20
RANDOM_DRAWS = 10


class WalletOfferRow(Base):
    __tablename__ = "wallet_offer"

    offer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(128))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    configuration_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # JSON: the ELM to issue; emptied once issued or locked
    subject_ref: Mapped[str] = mapped_column(String(128), index=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # seconds since the epoch
    state: Mapped[str] = mapped_column(String(16))
    wrong_tx_codes: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    token_expires_at: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)


class WalletNonceRow(Base):
    __tablename__ = "wallet_nonce"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class WalletStatusRow(Base):
    """One credential issued: its entry in a status list and what it was issued for."""

    __tablename__ = "wallet_status"

    list_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(128), index=True)
    issued_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)


def _record(row: WalletOfferRow) -> OfferRecord:
    content: Json = json.loads(row.content) if row.content else {}
    return OfferRecord(
        offer_id=row.offer_id,
        code=row.code,
        code_hash=row.code_hash,
        tx_code_hash=row.tx_code_hash,
        configuration_id=row.configuration_id,
        content=content,
        subject_ref=row.subject_ref,
        expires_at=row.expires_at,
        state=row.state,
        wrong_tx_codes=row.wrong_tx_codes,
        token_hash=row.token_hash,
        token_expires_at=row.token_expires_at,
        version=row.version,
    )


def _values(offer: OfferRecord) -> dict[str, object]:
    return {
        "code": offer.code,
        "code_hash": offer.code_hash,
        "tx_code_hash": offer.tx_code_hash,
        "configuration_id": offer.configuration_id,
        "content": json.dumps(offer.content, ensure_ascii=False) if offer.content else "",
        "subject_ref": offer.subject_ref,
        "expires_at": offer.expires_at,
        "state": offer.state,
        "wrong_tx_codes": offer.wrong_tx_codes,
        "token_hash": offer.token_hash,
        "token_expires_at": offer.token_expires_at,
    }


class DatabaseIssuerStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self.database.session(readonly=True) as s:
            yield s

    def add_offer(self, offer: OfferRecord) -> None:
        with self.database.session() as s:
            s.add(WalletOfferRow(offer_id=offer.offer_id, version=offer.version, **_values(offer)))

    def _one(self, *where: object) -> OfferRecord | None:
        with self._reading() as s:
            row = s.execute(select(WalletOfferRow).where(*where)).scalar_one_or_none()  # type: ignore[arg-type]
            return _record(row) if row is not None else None

    def offer(self, offer_id: str) -> OfferRecord | None:
        return self._one(WalletOfferRow.offer_id == offer_id)

    def offer_by_code(self, code_hash: str) -> OfferRecord | None:
        return self._one(WalletOfferRow.code_hash == code_hash)

    def offer_by_token(self, token_hash: str) -> OfferRecord | None:
        return self._one(WalletOfferRow.token_hash == token_hash)

    def save_offer(self, offer: OfferRecord) -> bool:
        with self.database.session() as s:
            result = s.execute(
                update(WalletOfferRow)
                .where(WalletOfferRow.offer_id == offer.offer_id, WalletOfferRow.version == offer.version)
                .values(version=offer.version + 1, **_values(offer))
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def add_nonce(self, nonce_hash: str, expires_at: int) -> None:
        with self.database.session() as s:
            s.add(WalletNonceRow(nonce_hash=nonce_hash, expires_at=expires_at))

    def take_nonce(self, nonce_hash: str, now: int) -> bool:
        with self.database.session() as s:
            result = s.execute(
                delete(WalletNonceRow).where(
                    WalletNonceRow.nonce_hash == nonce_hash, WalletNonceRow.expires_at >= now
                )
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def allocate_status(self, list_id: str, size: int, subject_ref: str, now: int) -> int:
        for attempt in range(ALLOCATION_TRIES):
            # Random draws; once they keep hitting taken entries, a random one of those still free.
            index = secrets.randbelow(size) if attempt < RANDOM_DRAWS else self._free_entry(list_id, size)
            try:
                with self.database.session() as s, s.begin_nested():
                    s.add(
                        WalletStatusRow(
                            list_id=list_id, idx=index, subject_ref=subject_ref, issued_at=now, status=0
                        )
                    )
                return index
            except IntegrityError:
                continue  # taken (perhaps by another worker just now): draw again
        raise RuntimeError(f"the status list {list_id} has no free entry after {ALLOCATION_TRIES} draws")

    def _free_entry(self, list_id: str, size: int) -> int:
        with self._reading() as s:
            used = set(s.scalars(select(WalletStatusRow.idx).where(WalletStatusRow.list_id == list_id)))
        free = [i for i in range(size) if i not in used]
        if not free:
            raise StatusListFull(f"the status list {list_id} is full")
        return secrets.choice(free)

    def latest_status_list(self) -> str | None:
        with self._reading() as s:
            ids = s.scalars(select(WalletStatusRow.list_id).distinct()).all()
        numbers = [n for n in map(list_number, ids) if n is not None]
        return str(max(numbers)) if numbers else None

    def set_status(self, list_id: str, index: int, status: int) -> None:
        with self.database.session() as s:
            s.execute(
                update(WalletStatusRow)
                .where(WalletStatusRow.list_id == list_id, WalletStatusRow.idx == index)
                .values(status=status)
            )

    def statuses(self, list_id: str) -> dict[int, int]:
        with self._reading() as s:
            rows = s.execute(
                select(WalletStatusRow.idx, WalletStatusRow.status).where(
                    WalletStatusRow.list_id == list_id, WalletStatusRow.status != 0
                )
            ).all()
        return {int(idx): int(status) for idx, status in rows}

    def issued_for(self, subject_ref: str) -> list[IssuedRecord]:
        with self._reading() as s:
            rows = s.execute(
                select(WalletStatusRow).where(WalletStatusRow.subject_ref == subject_ref)
            ).scalars()
            return [IssuedRecord(r.list_id, r.idx, r.subject_ref, r.issued_at) for r in rows]

    def purge(self, now: int) -> None:
        with self.database.session() as s:
            s.execute(delete(WalletOfferRow).where(WalletOfferRow.expires_at < now))
            s.execute(delete(WalletNonceRow).where(WalletNonceRow.expires_at < now))


def revoke_subject_in(s: Session, subject_ref: str) -> int:
    """In the open transaction ``s``: revoke every credential issued for ``subject_ref`` and lock its
    offers not yet redeemed (a code shown a minute ago must not yield a credential after this);
    the number of credentials revoked."""
    result = s.execute(
        update(WalletStatusRow)
        .where(WalletStatusRow.subject_ref == subject_ref, WalletStatusRow.status != INVALID)
        .values(status=INVALID)
    )
    s.execute(
        update(WalletOfferRow)
        .where(WalletOfferRow.subject_ref == subject_ref, WalletOfferRow.state != ISSUED)
        .values(state=LOCKED, content="", code="", token_hash=None, version=WalletOfferRow.version + 1)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def issued_count(s: Session, subject_ref: str) -> tuple[int, int]:
    """How many credentials were issued for ``subject_ref``, and how many of them are revoked."""
    rows = s.execute(select(WalletStatusRow.status).where(WalletStatusRow.subject_ref == subject_ref)).all()
    return len(rows), sum(1 for (status,) in rows if status == INVALID)
