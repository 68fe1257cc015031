"""Token Status List: the bit layout and compression of the specification's examples, a signed token
for one list, and the state of a credential read from it."""

from __future__ import annotations

import datetime as dt
import zlib

import pytest

from emrex.wallet.errors import CredentialRevoked, StatusUnavailable
from emrex.wallet.jose import b64encode, sign_jwt
from emrex.wallet.statuslist import (
    INVALID,
    SUSPENDED,
    StatusList,
    check_status,
    read_status_list_token,
    status_list_token,
    status_reference,
)
from tests.wallet.conftest import Pki

URI = "https://issuer.example/wallet/status/1"


@pytest.mark.parametrize(
    ("bits", "statuses", "lst"),
    [
        # draft-ietf-oauth-status-list, the one-bit and two-bit examples of section 4.1.
        (1, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], "eNrbuRgAAhcBXQ"),
        (2, [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3], "eNo76fITAAPfAgc"),
    ],
)
def test_the_specification_examples(bits: int, statuses: list[int], lst: str) -> None:
    made = StatusList.of(len(statuses), dict(enumerate(statuses)), bits=bits)
    assert made.encoded() == {"bits": bits, "lst": lst}
    read = StatusList.decoded({"bits": bits, "lst": lst})
    assert [read.get(i) for i in range(len(statuses))] == statuses


def test_an_index_outside_the_list_and_a_bomb_are_refused() -> None:
    with pytest.raises(StatusUnavailable, match="outside"):
        StatusList.empty(8).get(8)
    bomb = b64encode(zlib.compress(b"\0" * (3 << 20)))
    with pytest.raises(StatusUnavailable, match="more than"):
        StatusList.decoded({"bits": 1, "lst": bomb})
    with pytest.raises(StatusUnavailable, match="bits"):
        StatusList.decoded({"bits": 3, "lst": "eNrbuRgAAhcBXQ"})


def test_a_token_is_read_back_for_its_own_uri_only(pki: Pki) -> None:
    token = status_list_token(StatusList.of(16, {3: INVALID}), URI, pki.issuer)
    now = dt.datetime.now(dt.UTC)
    assert read_status_list_token(token, URI, pki.anchors, now).get(3) == INVALID
    with pytest.raises(StatusUnavailable, match="another list"):
        read_status_list_token(token, URI + "0", pki.anchors, now)
    with pytest.raises(StatusUnavailable, match="expired"):
        read_status_list_token(token, URI, pki.anchors, now + dt.timedelta(days=1))


def test_a_token_signed_without_a_trusted_chain_is_unusable(pki: Pki) -> None:
    claims = {"sub": URI, "iat": 0, "status_list": StatusList.empty(8).encoded()}
    token = sign_jwt({"typ": "statuslist+jwt"}, claims, pki.issuer.__class__(pki.issuer.key, pki.issuer.alg))
    with pytest.raises(StatusUnavailable, match="x5c"):
        read_status_list_token(token, URI, pki.anchors, dt.datetime.now(dt.UTC))


def test_the_state_of_a_credential(pki: Pki) -> None:
    token = status_list_token(StatusList.of(64, {5: INVALID, 6: SUSPENDED}, bits=2), URI, pki.issuer)
    now = dt.datetime.now(dt.UTC)
    assert check_status(status_reference(URI, 4), lambda uri: token, pki.anchors, now) == 0
    with pytest.raises(CredentialRevoked, match="revoked"):
        check_status(status_reference(URI, 5), lambda uri: token, pki.anchors, now)
    with pytest.raises(CredentialRevoked, match="suspended"):
        check_status(status_reference(URI, 6), lambda uri: token, pki.anchors, now)


def test_fetch_failures_and_bad_references_say_what_is_wrong(pki: Pki) -> None:
    def down(uri: str) -> str:
        raise OSError("connection refused")

    now = dt.datetime.now(dt.UTC)
    with pytest.raises(StatusUnavailable, match=r"cannot be fetched \(connection refused"):
        check_status(status_reference(URI, 1), down, pki.anchors, now)
    with pytest.raises(StatusUnavailable, match="idx"):
        check_status({"status_list": {"uri": URI, "idx": -1}}, down, pki.anchors, now)
    with pytest.raises(StatusUnavailable, match="uri"):
        check_status({"status_list": {"idx": 1}}, down, pki.anchors, now)


def test_list_ids_are_numbers_and_a_full_list_has_a_successor() -> None:
    from emrex.wallet.statuslist import list_number, successor

    assert [list_number(i) for i in ("1", "12", "01", "1a", "", "٣", "9" * 10)] == [1, 12] + [None] * 5
    assert successor("9") == "10"


def test_an_issuer_config_with_an_unnumbered_or_empty_list_is_refused(pki: Pki) -> None:
    from emrex.wallet import IssuerConfig, WalletError

    with pytest.raises(WalletError, match="number"):
        IssuerConfig("https://x.example", pki.issuer, "X", status_list_id="main")
    with pytest.raises(WalletError, match="entries"):
        IssuerConfig("https://x.example", pki.issuer, "X", status_list_size=0)
