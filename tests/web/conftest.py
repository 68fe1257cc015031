"""A tiny demo service built with the factory, the way the EMP and EMC build theirs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.web import WebSettings, autopost, create_web_app, flash, get_session, render
from emrex.web.security import script_hash

BASE_URL = "https://emc.example.org"
PROTOCOL_PATH = "/emrex/return"
INLINE_SCRIPT = "document.body.dataset.ready = '1';"


def settings(**overrides: object) -> WebSettings:
    values: dict[str, object] = {"base_url": BASE_URL, "max_form_bytes": 64 * 1024}
    values["max_protocol_bytes"] = 1024 * 1024
    values.update(overrides)
    return WebSettings(**values)  # type: ignore[arg-type]


def build_app(database: Database, web_settings: WebSettings | None = None) -> FastAPI:
    templates = Path(__file__).parent / "templates"
    app = create_web_app(
        web_settings or settings(),
        database,
        title="Demo EMC",
        templates_dirs=[templates],
        exempt_paths=[PROTOCOL_PATH],
        script_hashes=[script_hash(INLINE_SCRIPT)],
        context_processors=[lambda request: {"person": get_session(request).get("name")}],
    )

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return render(request, "demo/home.html")

    @app.get("/go", response_class=HTMLResponse)
    def go(request: Request) -> HTMLResponse:
        fields = [
            ("sessionId", "0123456789abcdef0123456789abcdef"),
            ("returnUrl", f"{BASE_URL}{PROTOCOL_PATH}"),
        ]
        return autopost(request, "https://emp.example.org/emrex", fields, target_name="Example EMP")

    @app.get("/data")
    def read_data(request: Request) -> JSONResponse:
        session = get_session(request)
        return JSONResponse({"name": session.get("name"), "visits": session.get("visits", 0)})

    @app.post("/data")
    def write_data(request: Request, name: str = Form(...)) -> PlainTextResponse:
        session = get_session(request)
        session.set("name", name)
        session.set("visits", session.get("visits", 0) + 1)
        flash(request, f"Saved {name}", "success")
        return PlainTextResponse("saved")

    @app.post("/login")
    def login(request: Request) -> PlainTextResponse:
        session = get_session(request)
        session.rotate()
        session.set("user", "demo")
        return PlainTextResponse("rotated")

    @app.post("/logout")
    def logout(request: Request) -> PlainTextResponse:
        get_session(request).clear()
        return PlainTextResponse("bye")

    @app.post("/fail")
    def fail_after_change(request: Request) -> PlainTextResponse:
        get_session(request).set("name", "half-done")
        raise RuntimeError("secret internal detail /etc/passwd")

    @app.get("/boom")
    def boom() -> PlainTextResponse:
        raise RuntimeError("secret internal detail /etc/passwd")

    @app.post(PROTOCOL_PATH)
    def protocol_return(session_id: str = Form(..., alias="sessionId"), elmo: str = Form("")) -> JSONResponse:
        return JSONResponse({"sessionId": session_id, "elmo_length": len(elmo)})

    return app


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path}/web.db"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def make_client(database: Database) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(web_settings: WebSettings | None = None, **options: object) -> TestClient:
        app = build_app(database, web_settings)
        base = (web_settings or settings()).base_url
        client = TestClient(app, base_url=base, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
