"""emc transfer: the stored student in a form of its own (names, birth date, identifiers), no longer
the login session's (which also held the subject, login source, e-mail and roles)

Revision ID: 0ee4fd9303d1
Revises: 5a3e1f0c7d21
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0ee4fd9303d1"
down_revision: str | None = "5a3e1f0c7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

transfers = sa.table(
    "emc_transfer",
    sa.column("id", sa.BigInteger()),
    sa.column("student", sa.String()),
    sa.column("student_json", sa.Text()),
)
KEPT = ("given_names", "family_name", "birth_date", "identifiers")


def upgrade() -> None:
    _rewrite(lambda data, student: {key: data.get(key) for key in KEPT} | _identifiers(data))


def downgrade() -> None:
    # The login session's form; the login source, e-mail and roles were never read from a transfer.
    _rewrite(
        lambda data, student: {
            "subject": student,
            "source": "oidc",
            "email": "",
            "roles": ["student"],
            **{key: data.get(key) for key in KEPT},
            **_identifiers(data),
        }
    )


def _identifiers(data: dict[str, Any]) -> dict[str, Any]:
    identifiers = data.get("identifiers")
    return {"identifiers": identifiers if isinstance(identifiers, dict) else {}}


def _rewrite(convert: Callable[[dict[str, Any], str], dict[str, Any]]) -> None:
    """Each transfer's stored student converted; a value that is not a JSON object is left as it is."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(transfers.c.id, transfers.c.student, transfers.c.student_json)).all()
    for row_id, student, text in rows:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        value = json.dumps(convert(data, student), ensure_ascii=False, sort_keys=True)
        connection.execute(sa.update(transfers).where(transfers.c.id == row_id).values(student_json=value))
