"""Alembic environment: always driven from ``emrex.db.migrate`` with a connection in hand."""

from __future__ import annotations

from alembic import context

from emrex.db.models import load_models

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through emrex.db.migrate (or 'emrex db'), not the alembic command")

context.configure(
    connection=connection,
    target_metadata=load_models(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
