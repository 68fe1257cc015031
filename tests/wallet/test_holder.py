"""The small holder against a live issuer and verifier on localhost: it takes an offer, keeps the
credential in its folder, lists it, and presents all or some courses; and its ``emrex wallet`` commands."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.trust.ca import make_ca
from emrex.wallet import HolderError, TrustAnchors, UntrustedIssuer
from emrex.wallet.holder import Holder
from emrex.wallet.jose import Json
from emrex.wallet.typemeta import COURSES, SUBJECT
from tests.wallet.conftest import Live, Pki


def test_offer_taken_kept_and_listed(live: Live, uio_elm: Json, tmp_path: Path) -> None:
    offer = live.issuer.create_offer(uio_elm, subject_ref="transfer-7")
    holder = Holder(tmp_path / "wallet")
    held = holder.accept_offer(offer.link, offer.tx_code)
    assert held.issuer == live.url and held.learner == "Test Testesen"
    assert held.courses == ["Testing", "Fire Safety"]
    assert [c.id for c in holder.credentials()] == [held.id]
    key_file = tmp_path / "wallet" / "holder-key.jwk"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert holder.key().public_jwk == Holder(tmp_path / "wallet").key().public_jwk


def test_an_offer_needs_its_transaction_code(live: Live, uio_elm: Json, tmp_path: Path) -> None:
    offer = live.issuer.create_offer(uio_elm, subject_ref="t")
    with pytest.raises(HolderError, match="needs the transaction code"):
        Holder(tmp_path).accept_offer(offer.link)
    with pytest.raises(HolderError, match=r"wrong transaction code \(4 attempts left"):
        Holder(tmp_path).accept_offer(offer.link, "not-it")
    assert Holder(tmp_path).credentials() == []


def test_a_holder_given_issuer_anchors_refuses_an_untrusted_issuer(
    live: Live, uio_elm: Json, tmp_path: Path
) -> None:
    offer = live.issuer.create_offer(uio_elm, subject_ref="t")
    stranger = TrustAnchors((make_ca("Some other CA").certificate,))
    with pytest.raises(UntrustedIssuer):
        Holder(tmp_path, issuer_anchors=stranger).accept_offer(offer.link, offer.tx_code)
    assert Holder(tmp_path).credentials() == []


def test_present_all_and_then_only_one_course(
    live: Live, hierarchy_elm: Json, pki: Pki, tmp_path: Path
) -> None:
    offer = live.issuer.create_offer(hierarchy_elm, subject_ref="t")
    holder = Holder(tmp_path, verifier_anchors=pki.anchors)
    holder.accept_offer(offer.link, offer.tx_code)

    everything = live.verifier.start()
    outcome = holder.present(everything.link)
    assert outcome.verifier == "x509_san_dns:localhost" and outcome.status == 200
    result = live.verifier.result(everything.session_id)
    assert result is not None and result.status == "verified", result
    subject = result.result["elm"]["credentialSubject"]  # type: ignore[index]
    assert len(subject["hasClaim"]) == 4 and subject["familyName"] == {"und": "Handfaste"}
    assert result.result["status"] == "valid"  # type: ignore[index]

    one = live.verifier.start()
    holder.present(one.link, courses=[2])
    subject = live.verifier.result(one.session_id).result["elm"]["credentialSubject"]  # type: ignore[union-attr,index]
    assert [c["title"]["en"] for c in subject["hasClaim"]] == ["Trade in the west"]


def test_asking_shows_the_verifier_and_what_each_credential_would_disclose_and_sends_nothing(
    live: Live, hierarchy_elm: Json, uio_elm: Json, pki: Pki, tmp_path: Path
) -> None:
    holder = Holder(tmp_path, verifier_anchors=pki.anchors)
    request = live.verifier.start()
    assert holder.ask(request.link).matches == ()  # nothing held yet
    for elm in (hierarchy_elm, uio_elm):
        offer = live.issuer.create_offer(elm, subject_ref="t")
        holder.accept_offer(offer.link, offer.tx_code)
    asked = holder.ask(request.link)
    assert asked.client_id == "x509_san_dns:localhost" and asked.verifier
    assert {held.id for held, _ in asked.matches} == {c.id for c in holder.credentials()}
    for _, paths in asked.matches:
        assert COURSES in paths and (*SUBJECT, "familyName") in paths
    result = live.verifier.result(request.session_id)
    assert result is not None and result.status == "pending"  # asking answered nothing
    holder.present(request.link, credential=asked.matches[0][0].id, courses=[0])
    assert live.verifier.result(request.session_id).status == "verified"  # type: ignore[union-attr]
    with pytest.raises(HolderError, match="x509_san_dns"):
        holder.ask("openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fx&request_uri=https%3A%2F%2Fx")


def test_presenting_with_nothing_held_or_a_foreign_link(live: Live, tmp_path: Path) -> None:
    with pytest.raises(HolderError, match="holds no credential"):
        Holder(tmp_path).present(live.verifier.start().link)
    with pytest.raises(HolderError, match="x509_san_dns"):
        Holder(tmp_path).present(
            "openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fx&request_uri=https%3A%2F%2Fx"
        )


def test_a_revoked_credential_is_refused_by_the_verifier(live: Live, uio_elm: Json, tmp_path: Path) -> None:
    offer = live.issuer.create_offer(uio_elm, subject_ref="transfer-9")
    holder = Holder(tmp_path)
    holder.accept_offer(offer.link, offer.tx_code)
    assert live.issuer.revoke_subject("transfer-9") == 1
    request = live.verifier.start()
    with pytest.raises(HolderError, match="revoked"):
        holder.present(request.link)
    assert live.verifier.result(request.session_id).status == "refused"  # type: ignore[union-attr]


def test_the_holder_commands_against_live_services(
    live: Live, uio_elm: Json, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wallet = str(tmp_path / "wallet")
    offer = live.issuer.create_offer(uio_elm, subject_ref="t")
    assert main(["wallet", "accept-offer", offer.link, "--wallet", wallet]) == 1
    assert "needs the transaction code" in capsys.readouterr().err
    assert (
        main(["wallet", "accept-offer", offer.link, "--tx-code", str(offer.tx_code), "--wallet", wallet]) == 0
    )
    assert "2 course(s) of Test Testesen" in capsys.readouterr().out
    assert main(["wallet", "list", "--wallet", wallet]) == 0
    listed = capsys.readouterr().out
    assert "[0] Testing" in listed and "[1] Fire Safety" in listed
    request = live.verifier.start()
    assert main(["wallet", "present", request.link, "--course", "1", "--wallet", wallet]) == 0
    assert "presented to x509_san_dns:localhost" in capsys.readouterr().out
    result = live.verifier.result(request.session_id)
    assert result is not None and result.status == "verified"
    assert [c["title"]["en"] for c in result.result["elm"]["credentialSubject"]["hasClaim"]] == [
        "Fire Safety"
    ]  # type: ignore[index]
