"""A whole "Import from my wallet" at the EMC: a wallet (``emrex.wallet.holder``) holds a credential a
university issued with ``emrex.wallet`` (converted from the ELMO its EMP signed); the student starts the
import, the page waits, the wallet presents from another device (no cookie, a cross-site post), the
page finds the transfer, the student checks the results and imports them; staff see where they came
from. A second student cannot import from the first one's request."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.config import EmcSettings
from emrex.emc.models import ForeignCredential, Source, Status, Transfer
from tests.emc.conftest import (
    Keys,
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.wallet_network import converted_elm, make_net, start_import, wallet_settings

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash"]


def test_import_from_the_wallet_then_confirm(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys, tmp_path: Path
) -> None:
    net = make_net(tmp_path)
    settings = wallet_settings(make_settings, net)
    student = make_emc(settings, wallet_status_fetch=net.status_fetch)
    login(student)
    wallet = net.wallet(tmp_path / "phone", student)
    held = wallet.receive(converted_elm(keys))
    assert held.learner and held.courses

    page_path, link = start_import(student)
    waiting = student.get(page_path)
    assert "Waiting for your wallet" in waiting.text and "<svg" in waiting.text

    # Another student who learns the page's address gets nothing, before and after the answer.
    intruder = make_emc(settings)
    login(intruder, "bo")
    assert intruder.get(page_path).status_code == 404

    wallet.holder().present(link, credential=held.id)  # from the phone: no cookie of the student
    assert intruder.get(page_path).status_code == 404

    arrived = student.get(page_path, follow_redirects=False)  # the page's next refresh
    assert arrived.status_code == 303
    transfer_path = arrived.headers["location"]
    transfer_id = int(re.fullmatch(r"/transfers/(\d+)", transfer_path).group(1))  # type: ignore[union-attr]
    preview = student.get(transfer_path).text
    assert "From your wallet" in preview and "Nordvik University wallet issuer" in preview
    confirmed = student.post(
        f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(preview)}, follow_redirects=False
    )
    assert confirmed.status_code == 303

    with database_of(student).session(readonly=True) as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        assert (transfer.source, transfer.status, transfer.student) == (Source.WALLET, Status.IMPORTED, "asa")
        imported = list(
            s.scalars(select(ForeignCredential).where(ForeignCredential.transfer_id == transfer_id))
        )
        assert len(imported) == transfer.courses > 0
    assert "Wallet: " in student.get("/").text

    staff = make_emc(settings)
    login(staff, "staff")
    staff_page = staff.get(f"/staff/transfers/{transfer_id}").text
    source = "the student's wallet; the credential was vouched for by CN=Nordvik University wallet issuer"
    assert source in staff_page
