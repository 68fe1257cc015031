"""``GET /health``: 200 when the database answers ``SELECT 1``, 503 otherwise."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from emrex.db import Database, DatabaseError


def health_router(database: Database, path: str = "/health") -> APIRouter:
    router = APIRouter()

    @router.get(path, include_in_schema=False)
    def health() -> JSONResponse:
        try:
            database.ping()
        except DatabaseError:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return router
