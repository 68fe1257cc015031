"""The EMC issuing into a wallet, over real HTTP on localhost: a student imports results from an EMP,
asks to add them to a wallet, and the test holder (emrex.wallet.holder) accepts the offer from the
EMC's own endpoints; the credential verifies, status list included; a staff member revokes it from the
transfer's page, and verifying it then says it is revoked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from emrex.emc import create_emc_app
from emrex.emc.config import EmcSettings
from emrex.wallet import (
    CredentialRevoked,
    Holder,
    TrustAnchors,
    VerifyPolicy,
    http_fetch,
    verify_presentation,
)
from tests.emc.conftest import (
    NORDVIK,
    Keys,
    SealKeys,
    csrf,
    keys,
    login,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    seal_keys,
)
from tests.emc.test_wallet_issue import offer_of, wallet_table
from tests.wallet.helpers import listening, serving

__all__ = ["keys", "make_settings", "migrated_template", "password_hash", "seal_keys"]


def test_import_add_to_wallet_verify_revoke(
    make_settings: Callable[..., EmcSettings], keys: Keys, seal_keys: SealKeys, tmp_path: Path
) -> None:
    anchors = TrustAnchors((seal_keys.ca.certificate,))
    with listening() as (sockets, port):
        base = f"http://localhost:{port}"
        settings = make_settings(
            base_url=base, dev_http_hosts=["localhost"], wallet=wallet_table(tmp_path, seal_keys)
        )
        app = create_emc_app(settings, background=False)
        with serving(app, sockets), httpx.Client(base_url=base, timeout=30) as student:
            # The student fetches results from an EMP and imports them.
            login(student)  # type: ignore[arg-type]
            choose = student.get("/choose?country=SE").text
            started = student.post(
                "/start", data={"country": "SE", "emp": NORDVIK, "csrf_token": csrf(choose)}
            )
            session_id = re.search(r'name="sessionId" value="([^"]+)"', started.text)
            assert session_id, started.text
            transfer_id = ok(student, keys, session_id.group(1))  # type: ignore[arg-type]
            page = student.get(f"/transfers/{transfer_id}").text
            student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page)})
            page = student.get(f"/transfers/{transfer_id}").text
            assert "Add to my wallet" in page

            # Add to my wallet: the offer page, then the wallet takes the credential.
            choose = student.get(f"/transfers/{transfer_id}/wallet").text
            offered = student.post(
                f"/transfers/{transfer_id}/wallet", data={"csrf_token": csrf(choose), "scope": "all"}
            )
            assert offered.status_code == 200, offered.text
            link, tx_code = offer_of(offered.text)
            wallet = Holder(tmp_path / "wallet", issuer_anchors=anchors)
            held = wallet.accept_offer(link, tx_code)
            assert held.issuer == base

            policy = VerifyPolicy(anchors, status_fetch=http_fetch())
            verified = verify_presentation(held.credential, policy)
            assert verified.issuer == base
            assert verified.claims["elm"]["credentialSubject"]["familyName"]

            # Staff revoke it from the transfer's page.
            with httpx.Client(base_url=base, timeout=30) as staff:
                login(staff, "staff")  # type: ignore[arg-type]
                staff_page = staff.get(f"/staff/transfers/{transfer_id}").text
                assert "Revoke the wallet credentials" in staff_page
                revoked = staff.post(
                    f"/staff/transfers/{transfer_id}/wallet/revoke",
                    data={"csrf_token": csrf(staff_page)},
                    follow_redirects=True,
                )
                assert revoked.status_code == 200

            with pytest.raises(CredentialRevoked, match="revoked"):
                verify_presentation(held.credential, policy)
        app.state.emc_service.database.dispose()
