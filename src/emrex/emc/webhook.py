"""Telling the SIS about each confirmed import (and each recognition case submitted or decided): a
signed POST, retried with backoff, in the background.

The event is written in the same transaction as the change (``emc_webhook_event``), so none is lost;
the receiver deduplicates by ``event_id`` (the same id is sent on every retry). Headers:
``X-Emrex-Event-Id``, ``X-Emrex-Timestamp`` (Unix seconds) and ``X-Emrex-Signature: sha256=<hex>``,
the HMAC-SHA256 with the shared secret of ``<timestamp>.<body>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import threading

import httpx
from sqlalchemy import select

from emrex.db import Database, utcnow
from emrex.emc.config import WebhookSettings
from emrex.emc.models import WebhookEvent

log = logging.getLogger("emrex.emc.webhook")
LEASE = dt.timedelta(minutes=2)  # a claimed event is left alone this long by other workers
BATCH = 20


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class WebhookSender:
    def __init__(
        self, database: Database, settings: WebhookSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.transport = transport
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver_due(self, now: dt.datetime | None = None) -> int:
        """Try every event that is due; returns how many were delivered."""
        moment = now or utcnow()
        with self.database.session() as s:
            events = list(
                s.scalars(
                    select(WebhookEvent)
                    .where(WebhookEvent.state == "pending")
                    .where(WebhookEvent.next_attempt_at <= moment)
                    .order_by(WebhookEvent.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)  # several workers: each event to one of them
                )
            )
            for event in events:
                event.next_attempt_at = moment + LEASE
            claimed = [(e.id, e.event_id, e.payload, e.attempts) for e in events]
        delivered = 0
        with httpx.Client(transport=self.transport, timeout=self.settings.timeout_seconds) as client:
            for row_id, event_id, payload, attempts in claimed:
                error = self._send(client, event_id, payload.encode("utf-8"))
                self._record(row_id, attempts + 1, error, moment)
                delivered += error is None
        return delivered

    def _send(self, client: httpx.Client, event_id: str, body: bytes) -> str | None:
        timestamp = str(int(utcnow().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Emrex-Event-Id": event_id,
            "X-Emrex-Timestamp": timestamp,
            "X-Emrex-Signature": signature(self.settings.secret, timestamp, body),
        }
        try:
            response = client.post(self.settings.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"[:500]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def _record(self, row_id: int, attempts: int, error: str | None, moment: dt.datetime) -> None:
        with self.database.session() as s:
            event = s.get(WebhookEvent, row_id)
            if event is None:
                return
            event.attempts = attempts
            if error is None:
                event.state = "delivered"
                event.delivered_at = utcnow()
                event.last_error = None
                return
            event.last_error = error
            if attempts >= self.settings.max_attempts:
                event.state = "failed"
                log.warning(
                    "webhook event %s failed for good after %d attempts: %s", event.event_id, attempts, error
                )
            else:
                delay = self.settings.backoff_seconds * 2 ** (attempts - 1)
                event.next_attempt_at = moment + dt.timedelta(seconds=delay)
                log.info(
                    "webhook event %s attempt %d failed (%s); retrying in %.0f s",
                    event.event_id,
                    attempts,
                    error,
                    delay,
                )

    # The background loop: wakes on kick() or every poll interval.
    def kick(self) -> None:
        self._wake.set()

    def start(self, poll_seconds: float = 15.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.deliver_due()
                except Exception:
                    log.exception("webhook delivery round failed")
                self._wake.wait(poll_seconds)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="emrex-emc-webhook", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
