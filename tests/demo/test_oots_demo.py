"""The demo's OOTS exchange over real HTTP, without a browser: the admissions portal asks Olympos
Polytechnic for eleni's transcript through the loopback access point, eleni previews it at Olympos
(logging in at the demo identity provider) and agrees, and the portal shows the evidence it received:
the signed ELMO, the PDF transcript and Olympos's sealed European Digital Credential. Olympos also
offers eleni her own export, with a wallet issuer."""

from __future__ import annotations

import html
import re
import signal
from pathlib import Path

import httpx

from tests.demo.helpers import free_port_base, start_demo

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _saml_login(browser: httpx.Client, home: str, idp: str, path: str) -> None:
    to_idp = browser.get(home + f"login?next={path}")
    assert to_idp.status_code == 303 and to_idp.headers["location"].startswith(idp)
    form = browser.get(to_idp.headers["location"])
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token
    answer = browser.post(
        idp + "login", data={"token": token.group(1), "username": "eleni", "password": "demo"}
    )
    action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
    assert action
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(answer.text)}
    done = browser.post(html.unescape(action.group(1)), data=fields)
    assert done.status_code == 303, done.text[-500:]
    back = browser.get(home.rstrip("/") + done.headers["location"])
    assert back.headers["location"] == path


def test_the_admissions_portal_gets_elenis_transcript_after_her_preview(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo", free_port_base())
    assert demo.facts, demo.stop()
    try:
        oots = demo.facts["oots"]
        olympos = next(e for e in demo.facts["emps"] if e["acronym"] == oots["provider"])
        home, idp = olympos["home"], olympos["saml_idp_metadata"].rsplit("metadata", 1)[0]
        with httpx.Client(timeout=30, trust_env=False, follow_redirects=False) as browser:
            access_point = browser.get(oots["access_point"])
            assert "simulation" in access_point.text and access_point.headers["x-emrex-simulated"]
            portal = browser.get(oots["requester"])
            assert portal.status_code == 200 and "Eleni Papadopoulou" in portal.text
            asked = browser.post(oots["requester"] + "ask")
            assert asked.status_code == 303, asked.text
            location = asked.headers["location"]
            assert location.startswith(home + "oots/preview/")
            path = "/" + location.removeprefix(home)
            start = browser.get(location)
            assert start.status_code == 200 and "Lindholm University" in start.text
            _saml_login(browser, home, idp, path)
            preview = browser.get(location)
            assert preview.status_code == 200 and "Structural Dynamics" in preview.text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', preview.text)
            assert csrf
            fields = {"csrf_token": csrf.group(1), "action": "send", "consent": "yes"}
            agreed = browser.post(location + "/send", data=fields)
            assert 'data-outcome="approved"' in agreed.text
            back = re.search(r'<a class="button" href="([^"]+)"', agreed.text)
            assert back and back.group(1).startswith(oots["requester"] + "application/")
            evidence = browser.get(back.group(1))
            assert evidence.status_code == 200 and "evidence-received" in evidence.text, evidence.text
            assert "Structural Dynamics" in evidence.text and "MainEvidence" in evidence.text
            pdf = browser.get(back.group(1) + "/transcript.pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
            # The third document: Olympos's sealed European Digital Credential, checked by the portal.
            assert evidence.text.count("<li>") >= 3 and "application/json" in evidence.text
            assert 'class="evidence-credential" data-status="accepted"' in evidence.text, evidence.text
            assert "VATEL-099000123" in evidence.text and "embeds the signed ELMO" in evidence.text
            edc = browser.get(back.group(1) + "/credential.json")
            assert edc.status_code == 200 and edc.headers["content-type"] == "application/json"
            assert b'"payload"' in edc.content
            again = browser.get(back.group(1))  # a reload shows what arrived, not "sent already"
            assert "Structural Dynamics" in again.text
            # Olympos also lets eleni take her results herself, into a wallet too ([wallet]).
            export = browser.get(home + "export")
            assert export.status_code == 200
            assert 'value="wallet"' in export.text and 'value="edc"' in export.text
            metadata = browser.get(home.rstrip("/") + "/.well-known/openid-credential-issuer")
            assert metadata.status_code == 200 and metadata.json()["credential_issuer"] == home.rstrip("/")
    finally:
        code, out, err = demo.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err
    assert "OOTS" in out and oots["requester"] in out
