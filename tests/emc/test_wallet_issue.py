"""The EMC as a wallet issuer (emrex.emc.wallet_issue): "Add to my wallet" on an imported transfer, the
offer page (QR code, same-device link, transaction code), a wallet taking the credential from the EMC's
own endpoints, choosing courses, and staff revoking."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.emc.config import EmcConfigError, EmcSettings
from emrex.emc.store import wallet_subject
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import save_issued
from emrex.wallet import Holder, TrustAnchors, VerifyPolicy, verify_presentation
from emrex.wallet.statuslist import read_status_list_token
from emrex.web.wallet_store import issued_count
from tests.emc.conftest import BASE_URL, Keys, SealKeys, csrf, database_of, login, ok, start
from tests.emc.test_credential import imported_transfer


def wallet_table(directory: Path, seal_keys: SealKeys) -> dict[str, Any]:
    """``emc.wallet`` signing with the seal key (its certificate names the organisation)."""
    save_issued(directory / "wallet", seal_keys.seal, force=True)
    return {
        "key_file": str(directory / "wallet" / "key.pem"),
        "cert_file": str(directory / "wallet" / "cert.pem"),
        "name": "Lindholm University",
    }


@pytest.fixture
def issuing(make_settings: Callable[..., EmcSettings], tmp_path: Path, seal_keys: SealKeys) -> EmcSettings:
    return make_settings(wallet=wallet_table(tmp_path, seal_keys))


def offer_page(client: TestClient, transfer_id: int, **form: Any) -> Any:
    page = client.get(f"/transfers/{transfer_id}/wallet")
    assert page.status_code == 200, page.text
    return client.post(f"/transfers/{transfer_id}/wallet", data={"csrf_token": csrf(page.text), **form})


def offer_of(html: str) -> tuple[str, str]:
    link = re.search(r'href="(openid-credential-offer://[^"]+)"', html)
    code = re.search(r"<strong>(\d{6})</strong>", html)
    assert link and code, html
    return link.group(1).replace("&amp;", "&"), code.group(1)


def test_without_emc_wallet_there_is_no_issuer(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    student = make_emc()
    transfer_id = imported_transfer(student, keys)
    assert "Add to my wallet" not in student.get(f"/transfers/{transfer_id}").text
    assert student.get(f"/transfers/{transfer_id}/wallet").status_code == 404
    assert student.get("/.well-known/openid-credential-issuer").status_code == 404


def test_a_student_adds_an_imported_transfer_to_a_wallet(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, seal_keys: SealKeys, tmp_path: Path
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    assert f'href="/transfers/{transfer_id}/wallet"' in student.get(f"/transfers/{transfer_id}").text
    response = offer_page(student, transfer_id, scope="all")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "<svg" in response.text and "<script" not in response.text
    link, tx_code = offer_of(response.text)
    assert link.startswith("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Femc.example.org")

    anchors = TrustAnchors((seal_keys.ca.certificate,))
    wallet = Holder(tmp_path / "holder", client=make_emc(issuing), issuer_anchors=anchors)
    held = wallet.accept_offer(link, tx_code)
    verified = verify_presentation(held.credential, VerifyPolicy(anchors))
    assert verified.issuer == BASE_URL
    elm = verified.claims["elm"]
    assert elm["issuer"]["legalName"]["en"] == "Lindholm University"
    assert len(elm["credentialSubject"]["hasClaim"]) >= 2
    assert "displayParameter" in elm  # the whole transfer, as it was imported

    swedish = student.get(f"/transfers/{transfer_id}/wallet?lang=sv")
    assert "Lägg till i min plånbok" in swedish.text and "Bara de kurser jag kryssar i:" in swedish.text

    again = Holder(tmp_path / "second", client=make_emc(issuing))
    with pytest.raises(Exception, match=r"used|no such offer"):
        again.accept_offer(link, tx_code)  # the offer works once


def test_only_the_ticked_courses_go_into_the_credential(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, seal_keys: SealKeys, tmp_path: Path
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    choose = student.get(f"/transfers/{transfer_id}/wallet")
    titles = re.findall(r'<label for="course-\d+">([^<]+)</label>', choose.text)
    assert len(titles) >= 2
    response = student.post(
        f"/transfers/{transfer_id}/wallet",
        data={"csrf_token": csrf(choose.text), "scope": "all", "course": ["1"]},  # ticks win over "all"
    )
    assert response.status_code == 200, response.text
    held = Holder(tmp_path / "holder", client=make_emc(issuing)).accept_offer(*offer_of(response.text))
    anchors = TrustAnchors((seal_keys.ca.certificate,))
    elm = verify_presentation(held.credential, VerifyPolicy(anchors)).claims["elm"]
    courses = elm["credentialSubject"]["hasClaim"]
    assert len(courses) == 1 and titles[1] in str(courses[0]["title"])
    assert "displayParameter" not in elm  # it pictures every result
    assert "NORDVIK" not in str(elm)  # nor is the whole signed document inside


@pytest.mark.parametrize("course", [[], ["99"], ["x"], ["-1"]])
def test_a_choice_of_no_listed_course_is_refused(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, course: list[str]
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    response = offer_page(student, transfer_id, scope="some", course=course)
    assert response.status_code == 409
    assert "choose at least one of the listed courses" in response.text
    with database_of(student).session(readonly=True) as s:
        assert s.execute(_offers()).scalar() == 0


def _offers() -> Any:
    from sqlalchemy import func, select

    from emrex.web.wallet_store import WalletOfferRow

    return select(func.count()).select_from(WalletOfferRow)


def test_results_not_imported_and_other_students_transfers_are_not_offered(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys
) -> None:
    student = make_emc(issuing)
    login(student)
    received = ok(student, keys, start(student))  # not confirmed yet
    assert "/wallet" not in student.get(f"/transfers/{received}").text
    assert student.get(f"/transfers/{received}/wallet").status_code == 409
    imported = imported_transfer(make_emc(issuing), keys)
    other = make_emc(issuing)
    login(other, "bo")
    assert other.get(f"/transfers/{imported}/wallet").status_code == 404
    home = other.get("/choose?country=SE")
    response = other.post(f"/transfers/{imported}/wallet", data={"csrf_token": csrf(home.text)})
    assert response.status_code == 404
    no_token = student.post(f"/transfers/{received}/wallet", data={"scope": "all"})
    assert no_token.status_code == 403  # CSRF
    with database_of(student).session(readonly=True) as s:
        assert s.execute(_offers()).scalar() == 0


def test_staff_revoke_what_was_issued_for_a_transfer(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, seal_keys: SealKeys, tmp_path: Path
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    link, tx = offer_of(offer_page(student, transfer_id, scope="all").text)
    held = Holder(tmp_path / "holder", client=make_emc(issuing)).accept_offer(link, tx)
    anchors = TrustAnchors((seal_keys.ca.certificate,))
    reference = verify_presentation(held.credential, VerifyPolicy(anchors)).claims["status"]["status_list"]

    def status() -> int:
        token = student.get(reference["uri"]).text
        listed = read_status_list_token(token, reference["uri"], anchors, dt.datetime.now(dt.UTC))
        return listed.get(reference["idx"])

    assert status() == 0
    assert student.post(f"/staff/transfers/{transfer_id}/wallet/revoke", data={}).status_code == 403
    staff = make_emc(issuing)
    login(staff, "staff")
    page = staff.get(f"/staff/transfers/{transfer_id}")
    assert "wallet: 1, of which revoked: 0." in page.text, page.text[-2500:]
    response = staff.post(
        f"/staff/transfers/{transfer_id}/wallet/revoke", data={"csrf_token": csrf(page.text)}
    )
    assert response.status_code == 200, response.text  # followed to the transfer page
    assert "The wallet credentials of this transfer were revoked." in response.text
    assert "Revoke the wallet credentials" not in response.text
    assert status() == 1
    missing = staff.post("/staff/transfers/999999/wallet/revoke", data={"csrf_token": csrf(page.text)})
    assert missing.status_code == 404
    with database_of(student).session(readonly=True) as s:
        assert issued_count(s, wallet_subject(transfer_id)) == (1, 1)


def test_the_wallet_certificate_must_name_the_organisation(
    make_settings: Callable[..., EmcSettings], make_emc: Callable[..., TestClient], tmp_path: Path
) -> None:
    bare = issue(make_ca("Bare CA"), "No organisation")
    save_issued(tmp_path / "bare", bare, force=True)
    table = {"key_file": str(tmp_path / "bare" / "key.pem"), "cert_file": str(tmp_path / "bare" / "cert.pem")}
    with pytest.raises(
        EmcConfigError, match=r"emc\.wallet\.cert_file: .* must name the issuing organisation"
    ):
        make_emc(make_settings(wallet=table))
    with pytest.raises(EmcConfigError, match=r"emc\.wallet: .*cannot read"):
        make_emc(make_settings(wallet={**table, "key_file": str(tmp_path / "none.pem")}))
    with pytest.raises(EmcConfigError, match=r"emc\.wallet\.cert_file: missing"):
        make_settings(wallet={"key_file": "k.pem"})


def test_the_offer_links_a_web_wallet_when_one_is_configured(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    seal_keys: SealKeys,
    tmp_path: Path,
) -> None:
    table = {**wallet_table(tmp_path, seal_keys), "web_wallet_url": "https://wallet.example/offer"}
    student = make_emc(make_settings(wallet=table))
    transfer_id = imported_transfer(student, keys)
    response = offer_page(student, transfer_id, scope="all")
    link, _ = offer_of(response.text)
    web = re.search(r'href="(https://wallet\.example/offer\?[^"]+)"', response.text)
    assert web and "Open in my web wallet" in response.text
    assert web.group(1).replace("&amp;", "&") == "https://wallet.example/offer?" + link.split("?", 1)[1]


def test_without_a_web_wallet_the_offer_links_only_the_wallet_scheme(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys
) -> None:
    student = make_emc(issuing)
    response = offer_page(student, imported_transfer(student, keys), scope="all")
    assert "Open in my web wallet" not in response.text and "openid-credential-offer://" in response.text
