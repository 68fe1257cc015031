"""The demo's SAML round trip over real HTTP, without a browser: Olympos Polytechnic's students log in at
the demo identity provider, which reads the EMP's metadata from its URL, and the EMP checks the IdP's
metadata signature with the demo federation's certificate."""

from __future__ import annotations

import html
import re
import signal
from pathlib import Path

import httpx

from tests.demo.helpers import free_port_base, start_demo

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_a_student_logs_in_at_olympos_through_the_demo_identity_provider(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo", free_port_base())
    assert demo.facts, demo.stop()
    try:
        olympos = next(e for e in demo.facts["emps"] if e["acronym"] == "OLYMPOS")
        idp = olympos["saml_idp_metadata"].rsplit("metadata", 1)[0]
        with httpx.Client(timeout=20, trust_env=False, follow_redirects=False) as browser:
            entry = {"sessionId": "a" * 32, "returnUrl": demo.facts["emc"]["return_url"]}
            flow = browser.post(olympos["url"], data=entry).headers["location"]
            to_idp = browser.get(olympos["home"] + f"login?next={flow}")
            assert to_idp.status_code == 303 and to_idp.headers["location"].startswith(
                idp + "sso?SAMLRequest="
            )
            form = browser.get(to_idp.headers["location"])
            assert form.status_code == 200 and "not a real identity provider" in form.text
            token = re.search(r'name="token" value="([^"]+)"', form.text)
            assert token
            wrong = browser.post(
                idp + "login", data={"token": token.group(1), "username": "eleni", "password": "x"}
            )
            assert wrong.status_code == 401
            answer = browser.post(
                idp + "login", data={"token": token.group(1), "username": "eleni", "password": "demo"}
            )
            action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
            assert action and html.unescape(action.group(1)) == olympos["home"] + "login/saml/acs"
            fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(answer.text)}
            done = browser.post(html.unescape(action.group(1)), data=fields)
            assert done.status_code == 303, done.text[-500:]
            back = browser.get(olympos["home"].rstrip("/") + done.headers["location"])
            assert back.headers["location"] == flow
            page = browser.get(olympos["home"].rstrip("/") + flow)
        assert "Παπαδοπούλου" in page.text and "Structural Dynamics" in page.text
    finally:
        code, _, err = demo.stop(signal.SIGINT)
    assert code == 0, err
