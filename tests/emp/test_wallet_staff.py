"""EMP staff revoke a student's exported wallet credentials (emrex.emp.wallet_staff): the status list
then says revoked; an empty identifier is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.emp.export import wallet_subject
from emrex.trust.ca import Issued
from emrex.wallet import CredentialRevoked, Holder, TrustAnchors, VerifyPolicy, verify_presentation
from emrex.web.wallet_store import issued_count
from tests.emp.helpers import csrf, login
from tests.emp.test_export import export, offer_of, wallet_table


def test_staff_revoke_what_a_student_added_to_a_wallet(
    make_emp: Callable[..., TestClient], tmp_path: Path, seal_key: Issued, emp_ca: Issued, database: Database
) -> None:
    table = wallet_table(tmp_path, seal_key)
    student = make_emp(wallet=table)
    login(student, "/export")
    link, tx = offer_of(export(student, "wallet", ["0:C1"]).text)
    anchors = TrustAnchors((emp_ca.certificate,))
    held = Holder(tmp_path / "holder", client=make_emp(wallet=table), issuer_anchors=anchors).accept_offer(
        link, tx
    )
    status_client = make_emp(wallet=table)

    def fetch(uri: str) -> str:
        answer = status_client.get(uri)
        assert answer.headers["content-type"].startswith("application/statuslist+jwt")
        return answer.text

    policy = VerifyPolicy(anchors, status_fetch=fetch)
    verify_presentation(held.credential, policy)  # valid before

    staff = make_emp(wallet=table)
    login(staff, "/admin/wallet", "staff")
    page = staff.get("/admin/wallet")
    assert "So far 1 credentials were issued, 0 of them revoked." in page.text
    assert '<a href="/admin/wallet"' in staff.get("/admin/stats").text  # in the staff's menu
    empty = staff.post("/admin/wallet/revoke", data={"csrf_token": csrf(page.text), "login": "  "})
    assert empty.status_code == 400 and "login identifier." in empty.text
    assert 'aria-invalid="true"' in empty.text
    done = staff.post("/admin/wallet/revoke", data={"csrf_token": csrf(page.text), "login": "asa"})
    assert done.status_code == 303
    assert "1 wallet credentials of this student were revoked." in staff.get("/admin/wallet").text
    with database.session(readonly=True) as s:
        assert issued_count(s, wallet_subject("asa")) == (1, 1)
    with pytest.raises(CredentialRevoked, match="revoked"):
        verify_presentation(held.credential, policy)


def test_without_wallet_there_is_no_staff_page(make_emp: Callable[..., TestClient]) -> None:
    staff = make_emp()
    login(staff, "/admin/stats", "staff")
    assert staff.get("/admin/wallet").status_code == 404
    assert '<a href="/admin/wallet"' not in staff.get("/admin/stats").text
