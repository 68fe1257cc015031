"""One simulated student's browser: EMC login, start, the EMP (entry, login, select, preview+consent,
send), the auto-posted answer back to the EMC (without the EMC's cookies), the transfer page, confirm.

Each step is one page as a browser loads it (redirects included) and is timed. The result says how
the transfer ended for the student, in words taken from what the pages showed.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from bench.loadrun.network import PASSWORD, Ports, Student

STEPS = (
    "emc_login",
    "start",
    "emp_entry",
    "emp_login",
    "select",
    "preview",
    "send",
    "emc_return",
    "transfer_page",
    "confirm",
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM = re.compile(r'<form method="post" action="([^"]+)" data-emrex-autosubmit>')
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ITEM = re.compile(r'name="item" value="([^"]+)"')
_TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
T = TypeVar("T")
LATER = 10.0  # seconds before a student whose transfer failed looks at the EMC again


class Stop(Exception):
    """The transfer cannot go on; ``outcome`` says what the student saw. A server error (5xx) is
    worth one reload, as a person would do."""

    def __init__(self, outcome: str, status: int = 0) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.retry = status >= 500


@dataclass
class Result:
    student: str
    outcome: str = "unfinished"
    session_id: str | None = None
    transfer_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    reloads: list[str] = field(default_factory=list)  # "step (why)" tried again after an error
    started_at: float = 0.0
    ended_at: float = 0.0


def _heading(page: str) -> str:
    found = _TITLE.search(page)
    text = re.sub(r"<[^>]+>", "", found.group(1)) if found else page[:80]
    return " ".join(html.unescape(text).split())


def _csrf(response: httpx.Response, step: str) -> str:
    found = _CSRF.search(response.text)
    if found is None:
        raise Stop(
            f"{step}: page without a form (HTTP {response.status_code}: {_heading(response.text)})",
            response.status_code,
        )
    return found.group(1)


def _autopost(response: httpx.Response, step: str) -> tuple[str, dict[str, str]]:
    action = _FORM.search(response.text)
    if response.status_code != 200 or action is None:
        raise Stop(f"{step}: HTTP {response.status_code}: {_heading(response.text)}", response.status_code)
    return html.unescape(action.group(1)), {n: html.unescape(v) for n, v in _INPUT.findall(response.text)}


class Browser:
    def __init__(self, student: Student, ports: Ports, think: float, rng: random.Random) -> None:
        self.student = student
        self.ports = ports
        self.think = think
        self.rng = rng
        self.result = Result(student.username)
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
        self.client = httpx.AsyncClient(timeout=TIMEOUT, limits=limits)
        self.cookieless = httpx.AsyncClient(timeout=TIMEOUT, limits=limits)

    async def close(self) -> None:
        await self.client.aclose()
        await self.cookieless.aclose()

    async def _pause(self) -> None:
        if self.think:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    async def _step(self, name: str, make: Callable[[], Awaitable[T]]) -> T:
        """Run one page, tried once more (the step's time includes both): at once after a broken
        connection, as browsers do when a kept-alive connection was closed under them; a second
        later after a server error, as a person reloads."""
        await self._pause()
        start = time.perf_counter()
        try:
            try:
                return await make()
            except (Stop, httpx.TransportError) as error:
                if isinstance(error, Stop) and not error.retry:
                    raise
                why = "HTTP 5xx" if isinstance(error, Stop) else type(error).__name__
                self.result.reloads.append(f"{name} ({why})")
                if isinstance(error, Stop):
                    await asyncio.sleep(1.0)
            return await make()
        finally:
            self.result.timings[name] = time.perf_counter() - start

    async def run(self) -> Result:
        self.result.started_at = time.monotonic()
        try:
            await self._transfer()
        except Stop as stop:
            self.result.outcome = stop.outcome
            await self._emc_shows()
        except httpx.HTTPError as error:
            self.result.outcome = f"connection failed ({type(error).__name__})"
            await self._emc_shows()
        finally:
            self.result.ended_at = time.monotonic()
        return self.result

    async def _emc_shows(self) -> None:
        """After a failure the student comes back to the EMC's home page a little later: what does it say?"""
        if self.result.session_id is None:
            return
        await asyncio.sleep(LATER)
        try:
            page = await self.client.get(self.ports.emc_url + "/", follow_redirects=True)
        except httpx.HTTPError as error:
            self.result.outcome += f"; EMC home unreachable ({type(error).__name__})"
            return
        statuses = re.findall(r"<td>(Waiting for the data provider|[^<]{3,80})</td>", page.text)
        known = [s for s in statuses if "Waiting" in s or "Imported" in s or "refused" in s.lower()]
        self.result.outcome += f"; EMC home shows: {known[0] if known else _heading(page.text)}"

    async def _transfer(self) -> None:
        emc, emp, s = self.ports.emc_url, self.ports.emp_url, self.student
        c = self.client

        async def emc_login() -> None:
            page = await c.get(emc + "/login")
            if page.status_code == 303:  # logged in by a first try whose answer was lost
                return
            r = await c.post(
                emc + "/login",
                data={"username": s.username, "password": PASSWORD, "csrf_token": _csrf(page, "emc_login")},
            )
            if r.status_code != 303:
                raise Stop(f"emc_login: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)

        async def start() -> tuple[str, dict[str, str]]:
            page = await c.get(emc + "/choose?country=NO")
            r = await c.post(
                emc + "/start",
                data={"country": "NO", "emp": self.ports.emp_entry, "csrf_token": _csrf(page, "start")},
            )
            return _autopost(r, "start")

        await self._step("emc_login", emc_login)
        action, fields = await self._step("start", start)
        self.result.session_id = fields.get("sessionId")

        async def entry() -> str:
            r = await c.post(action, data=fields)
            if r.status_code != 303:
                raise Stop(f"emp_entry: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            flow = r.headers["location"]
            await c.get(emp + flow)  # the EMP's start page (log in or cancel)
            return flow

        flow = await self._step("emp_entry", entry)

        async def emp_login() -> httpx.Response:
            page = await c.get(f"{emp}/login?next={flow}")
            if page.status_code == 303:  # logged in by a first try: on to the flow, as a browser follows
                return await c.get(emp + flow)
            r = await c.post(
                emp + "/login",
                data={
                    "username": s.username,
                    "password": PASSWORD,
                    "next": flow,
                    "csrf_token": _csrf(page, "emp_login"),
                },
            )
            if r.status_code != 303:
                raise Stop(f"emp_login: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            return await c.get(emp + flow)  # the selection page

        selection = await self._step("emp_login", emp_login)

        async def select() -> httpx.Response:
            items = [html.unescape(v) for v in _ITEM.findall(selection.text)]
            if not items:
                shown = f"HTTP {selection.status_code}: {_heading(selection.text)}"
                raise Stop(f"select: nothing offered ({shown})", selection.status_code)
            r = await c.post(
                f"{emp}{flow}/select",
                data={"csrf_token": _csrf(selection, "select"), "item": items, "action": "preview"},
            )
            if r.status_code != 303:
                raise Stop(f"select: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            return r

        await self._step("select", select)

        async def preview() -> httpx.Response:
            r = await c.get(f"{emp}{flow}/preview")
            if r.status_code != 200:
                raise Stop(f"preview: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            return r

        shown = await self._step("preview", preview)

        async def send() -> tuple[str, dict[str, str]]:
            r = await c.post(
                f"{emp}{flow}/send",
                data={"csrf_token": _csrf(shown, "send"), "action": "send", "consent": "yes"},
            )
            return _autopost(r, "send")

        back, answer = await self._step("send", send)

        async def emc_return() -> str:
            r = await self.cookieless.post(back, data=answer)  # cross-site: no EMC cookie
            self.cookieless.cookies.clear()
            if r.status_code != 303:
                raise Stop(f"emc_return: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            return str(r.headers["location"])

        location = await self._step("emc_return", emc_return)
        self.result.transfer_id = int(location.rsplit("/", 1)[1])

        async def transfer_page() -> httpx.Response:
            r = await c.get(emc + location)
            if r.status_code != 200 or "Import these results" not in r.text:
                raise Stop(f"transfer_page: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            return r

        page = await self._step("transfer_page", transfer_page)

        async def confirm() -> None:
            r = await c.post(f"{emc}{location}/confirm", data={"csrf_token": _csrf(page, "confirm")})
            if r.status_code != 303:
                raise Stop(f"confirm: HTTP {r.status_code}: {_heading(r.text)}", r.status_code)
            after = await c.get(emc + location)
            if "Your results were imported" not in after.text:
                raise Stop(f"confirm: {_heading(after.text)}")

        await self._step("confirm", confirm)
        self.result.outcome = "imported"
