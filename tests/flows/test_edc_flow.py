"""The demo network, over real HTTP: chloe fetches her FjordNet results and imports them, downloads them
as a sealed European Digital Credential (page and SIS API), and the credential verifies with
``emrex edc verify`` and on the EMC's public ``/verify`` page; a changed copy does not."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from emrex.cli import main
from emrex.elm import extract_original
from emrex.elm.edc import verify_edc
from emrex.registry import load_registry
from emrex.seal import SealPolicy
from emrex.trust.certs import load_certificates
from tests.demo.helpers import Demo, free_port_base, start_demo
from tests.emp.helpers import csrf, items, reply

PASSWORD = "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = start_demo(tmp_path_factory.mktemp("demo"), free_port_base())
    if not running.facts:
        code, _, err = running.stop()
        pytest.fail(f"emrex demo exited with {code} before it was ready: {err.strip()[-2000:]}")
    yield running
    code, _, err = running.stop()
    assert code == 0, err


def log_in(client: httpx.Client, username: str, after: str = "/") -> None:
    page = client.get(f"/login?next={after}")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": after, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303, response.text[:500]


def fetch_and_import(demo: Demo, emc: httpx.Client) -> int:
    """chloe's trip to FjordNet and back, her results imported; the transfer id."""
    fjord = next(e for e in demo.facts["emps"] if e["acronym"] == "FJORDNET")
    log_in(emc, "chloe")
    page = emc.get("/choose?country=NO").text
    started = emc.post("/start", data={"country": "NO", "emp": fjord["url"], "csrf_token": csrf(page)})
    sent = reply(started)
    with httpx.Client(base_url=fjord["home"], timeout=30) as emp:
        entry = emp.post(urlsplit(sent.pop("action")).path, data=sent)
        assert entry.status_code == 303, entry.text[:500]
        flow = entry.headers["location"]
        log_in(emp, "chloe", flow)
        choose = emp.get(flow).text
        picked = [i for i in items(choose) if i.endswith((":KYST4100", ":NOR0100"))]
        assert len(picked) == 2, items(choose)
        emp.post(f"{flow}/select", data={"csrf_token": csrf(choose), "item": picked, "action": "preview"})
        preview = emp.get(f"{flow}/preview").text
        answer = emp.post(
            f"{flow}/send", data={"csrf_token": csrf(preview), "action": "send", "consent": "yes"}
        )
    back = reply(answer)
    returned = emc.post(urlsplit(back.pop("action")).path, data=back)
    assert returned.status_code == 303, returned.text[:500]
    transfer_id = int(returned.headers["location"].rsplit("/", 1)[1])
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "credential.json" not in page  # not before the import
    emc.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page)})
    return transfer_id


def test_imported_results_leave_as_a_sealed_credential_that_verifies(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with httpx.Client(base_url=demo.facts["emc"]["url"], timeout=60) as emc:
        transfer_id = fetch_and_import(demo, emc)
        page = emc.get(f"/transfers/{transfer_id}").text
        assert "Download as sealed European Digital Credential" in page
        download = emc.get(f"/transfers/{transfer_id}/credential.json")
        assert download.status_code == 200, download.text[:500]
        assert download.headers["content-type"] == "application/json"
        token = demo.facts["emc"]["api"]["token"]
        api = emc.get(
            f"/api/v1/transfers/{transfer_id}/credential.json", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 200
        signed_xml = emc.get(f"/transfers/{transfer_id}/elmo.xml").content

    # emrex edc verify, as the library and as the command, with the demo CA and the demo registry
    ca_file = Path(demo.facts["data_dir"]) / "ca" / "ca-cert.pem"
    registry = load_registry(demo.facts["registry"]["url"])
    policy = SealPolicy(trust=load_certificates(ca_file.read_bytes()))
    for sealed in (download.content, api.content):
        result = verify_edc(sealed, policy, registry=registry)
        assert result.accepted, [(c.name, c.status, c.summary) for c in result.checks]
        assert result.organization_identifier == "NTRSE-2021009999"
        assert extract_original(dict(result.credential)) == signed_xml
    edc_file = tmp_path / "edc.json"
    edc_file.write_bytes(download.content)
    registry_url = demo.facts["registry"]["url"]
    assert main(["edc", "verify", str(edc_file), "--trust", str(ca_file), "--registry", registry_url]) == 0
    printed = capsys.readouterr().out
    assert "accepted" in printed and "Lindholm University" in printed and "FJORDNET" in printed

    # the public page, for anyone: the credential, the signed XML, and a changed credential
    with httpx.Client(base_url=demo.facts["emc"]["url"], timeout=60) as anyone:
        for name, data in (("edc.json", download.content), ("elmo.xml", signed_xml)):
            shown = anyone.post("/verify", files={"document": (name, data)})
            assert shown.status_code == 200
            assert "Valid." in shown.text, re.sub(r"\s+", " ", shown.text)[-3000:]
            assert "Wave Mechanics" in shown.text and "Lindqvist" in shown.text
        changed = json.loads(download.content)
        changed["payload"] = changed["payload"].replace("Wave Mechanics", "Wave Mechanix")
        shown = anyone.post("/verify", files={"document": ("edc.json", json.dumps(changed).encode())})
        assert "Not valid." in shown.text and "Yes: it was changed" in shown.text
        swedish = anyone.post(
            "/verify", files={"document": ("edc.json", download.content)}, headers={"Accept-Language": "sv"}
        )
        assert "Giltigt." in swedish.text
