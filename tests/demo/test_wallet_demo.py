"""The demo's wallet round trip over real HTTP, without a browser: chloe adds her imported Kyklades
results at Lindholm to the demo wallet (through the EMC's web-wallet link and the transaction code),
presents them at the second EMC (Sundby), which verifies the credential and the original document in it
and shows the results from her wallet, vouched for by Lindholm; presented back to Lindholm, the same
results are refused as a duplicate of what it holds."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from emrex.demo.network import PASSWORD
from tests.demo.helpers import free_port_base, start_demo

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(text: str) -> str:
    found = _CSRF.search(text)
    assert found, text[-800:]
    return found.group(1)


def _log_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, trust_env=False, follow_redirects=True)
    form = client.get("/login?next=/")
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(form.text), "next": "/"},
    )
    assert "/logout" in client.get("/").text
    return client


def _link(text: str, start: str) -> str:
    found = re.search(rf'href="({re.escape(start)}[^"]*)"', text)
    assert found, text[-1500:]
    return html.unescape(found.group(1))


def _present(wallet: httpx.Client, emc: httpx.Client, wallet_url: str, verifier: str) -> httpx.Response:
    """Import from my wallet at ``emc``, presented with every course; the EMC's page it ends on."""
    started = emc.post("/wallet-import/start", data={"csrf_token": _csrf(emc.get("/").text)})
    assert started.status_code == 200 and "openid4vp://" in started.text
    asked = wallet.get(_link(started.text, wallet_url + "present?"))
    assert asked.status_code == 200, asked.text[-800:]
    assert f"<strong>{verifier}</strong> asks for your study results" in asked.text
    assert "the original document signed by your data provider" in asked.text
    courses = re.findall(r'name="course" value="(\d+)"', asked.text)
    form = dict(re.findall(r'name="(link|credential|some)" value="([^"]+)"', asked.text))
    fields = {k: html.unescape(v) for k, v in form.items()}
    answer = wallet.post("/present", data={**fields, "course": courses, "csrf_token": _csrf(asked.text)})
    assert answer.status_code == 303, answer.text[-800:]
    back = answer.headers["location"]
    assert back.startswith(str(emc.base_url).rstrip("/") + "/wallet-import/done?response_code=")
    return emc.get(back)


def test_add_to_the_demo_wallet_then_present_at_the_second_emc(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo", free_port_base())
    assert demo.facts, demo.stop()
    try:
        facts = demo.facts
        wallet_url = facts["wallet"]["url"]
        assert "not an EUDI wallet" in facts["wallet"]["simulated"]
        lindholm = _log_in(facts["emc"]["url"], "chloe")
        sundby = _log_in(facts["admissions"]["url"], "chloe")
        wallet = httpx.Client(base_url=wallet_url, timeout=60, trust_env=False)
        transfer = re.search(r'href="/transfers/(\d+)"', lindholm.get("/").text)
        assert transfer, "chloe's seeded Kyklades transfer"
        choose = lindholm.get(f"/transfers/{transfer.group(1)}/wallet")
        offered = lindholm.post(
            f"/transfers/{transfer.group(1)}/wallet", data={"csrf_token": _csrf(choose.text), "scope": "all"}
        )
        code = re.search(r"<strong>(\d{6})</strong>", offered.text)
        assert code, offered.text[-800:]
        offer = wallet.get(_link(offered.text, wallet_url + "offer?"))
        assert offer.status_code == 200 and "offers a credential" in offer.text
        link = html.unescape(re.findall(r'name="link" value="([^"]+)"', offer.text)[0])
        taken = wallet.post(
            "/offer", data={"link": link, "tx_code": code.group(1), "csrf_token": _csrf(offer.text)}
        )
        assert taken.status_code == 303, taken.text[-800:]
        held = wallet.get("/").text
        assert "Added to the wallet: 3 course(s) of Chloé Åsa Lindqvist Núñez" in held
        assert "Marine Ecology of the Aegean" in held
        assert list(Path(facts["wallet"]["folder"]).glob("credentials/*.json"))

        arrived = _present(wallet, sundby, wallet_url, "Sundby University")
        page = arrived.text
        assert re.search(r"/transfers/\d+$", str(arrived.url)), arrived.url
        assert (
            "From your wallet. The credential was vouched for by CN=Lindholm University wallet issuer" in page
        )
        assert "Signature: valid" in page and "Marine Ecology of the Aegean" in page
        imported = sundby.post(str(arrived.url) + "/confirm", data={"csrf_token": _csrf(page)})
        assert imported.status_code == 200 and "Wallet: " in sundby.get("/").text

        refused = _present(wallet, lindholm, wallet_url, "Lindholm University").text
        assert "From your wallet." in refused
        assert "these results were received already in transfer" in refused
    finally:
        code, _, err = demo.stop()
    assert code == 0, err
