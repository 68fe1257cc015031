"""The webhook: each confirmed import is POSTed, signed, to a local HTTP server; failures are retried."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.models import WebhookEvent
from emrex.emc.webhook import WebhookSender, verify_signature
from tests.emc.conftest import Keys, csrf, database_of, login, ok, start

SECRET = "webhook-secret-0123456789"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def imported_client(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., Any], keys: Keys, url: str
) -> TestClient:
    settings = make_settings(webhook={"url": url, "secret": SECRET, "max_attempts": 3, "backoff_seconds": 10})
    client = make_emc(settings)
    login(client)
    transfer_id = ok(client, keys, start(client))
    page = client.get(f"/transfers/{transfer_id}")
    client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    return client


def sender_of(client: TestClient) -> WebhookSender:
    sender = client.app.state.emc_webhook  # type: ignore[attr-defined]
    assert isinstance(sender, WebhookSender)
    return sender


def events(client: TestClient) -> list[WebhookEvent]:
    with database_of(client).session() as s:
        found = list(s.scalars(select(WebhookEvent)))
        s.expunge_all()
        return found


def test_a_confirmed_import_is_delivered_signed(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    keys: Keys,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    client = imported_client(make_emc, make_settings, keys, url)
    assert sender_of(client).deliver_due() == 1
    ((headers, body),) = state.received
    assert verify_signature(SECRET, headers["x-emrex-timestamp"], body, headers["x-emrex-signature"])
    assert not verify_signature(
        "another-secret-0000", headers["x-emrex-timestamp"], body, headers["x-emrex-signature"]
    )
    payload = json.loads(body)
    assert payload["type"] == "credentials.imported"
    assert payload["event_id"] == headers["x-emrex-event-id"]
    assert payload["transfer"]["student"] == "asa"
    assert len(payload["credentials"]) == 8
    (event,) = events(client)
    assert (event.state, event.attempts) == ("delivered", 1)
    assert sender_of(client).deliver_due() == 0  # nothing twice
    assert len(state.received) == 1


def test_failures_are_retried_with_backoff_under_the_same_event_id(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    keys: Keys,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    state.statuses = [500, 503]
    client = imported_client(make_emc, make_settings, keys, url)
    sender = sender_of(client)
    now = dt.datetime.now(dt.UTC)
    assert sender.deliver_due(now) == 0
    (event,) = events(client)
    assert (event.state, event.attempts, event.last_error) == ("pending", 1, "HTTP 500")
    assert event.next_attempt_at == now + dt.timedelta(seconds=10)
    assert sender.deliver_due(now + dt.timedelta(seconds=5)) == 0  # not due yet
    assert len(state.received) == 1
    assert sender.deliver_due(now + dt.timedelta(seconds=11)) == 0
    (event,) = events(client)
    assert event.next_attempt_at == now + dt.timedelta(seconds=11 + 20)  # doubled
    assert sender.deliver_due(now + dt.timedelta(seconds=40)) == 1
    ids = {headers["x-emrex-event-id"] for headers, _ in state.received}
    assert len(state.received) == 3 and len(ids) == 1


def test_delivery_stops_after_the_last_attempt(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    keys: Keys,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    state.statuses = [500, 500, 500, 500]
    client = imported_client(make_emc, make_settings, keys, url)
    sender = sender_of(client)
    moment = dt.datetime.now(dt.UTC)
    for step in range(4):
        sender.deliver_due(moment + dt.timedelta(hours=step))
    (event,) = events(client)
    assert (event.state, event.attempts) == ("failed", 3)
    assert len(state.received) == 3


def test_an_unreachable_receiver_counts_as_a_failed_attempt(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., Any], keys: Keys
) -> None:
    client = imported_client(make_emc, make_settings, keys, "http://127.0.0.1:9/hook")
    assert sender_of(client).deliver_due() == 0
    (event,) = events(client)
    assert event.state == "pending" and event.attempts == 1 and "ConnectError" in (event.last_error or "")


def test_the_background_sender_delivers_after_a_confirmation(
    make_settings: Callable[..., Any], keys: Keys, receiver: tuple[Receiver, str]
) -> None:
    from emrex.emc import create_emc_app

    state, url = receiver
    app = create_emc_app(make_settings(webhook={"url": url, "secret": SECRET}))
    with TestClient(app, base_url="https://emc.example.org") as client:  # runs the lifespan
        login(client)
        transfer_id = ok(client, keys, start(client))
        page = client.get(f"/transfers/{transfer_id}")
        client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
        for _ in range(100):
            if state.received:
                break
            threading.Event().wait(0.05)
    assert len(state.received) == 1
    app.state.emc_service.database.dispose()
