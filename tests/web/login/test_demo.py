"""Demo account passwords: salted scrypt, wrong passwords and unknown users refused."""

from __future__ import annotations

from emrex.web.login.demo import authenticate, check_hash_format, hash_password, verify_password
from emrex.web.login.settings import DemoAccount


def test_hash_is_salted_and_verifies_only_the_right_password() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second  # salted
    assert "s3cret" not in first
    assert check_hash_format(first) is None
    assert verify_password("s3cret", first)
    assert not verify_password("s3cret ", first)
    assert not verify_password("", first)


def test_malformed_stored_hash_never_verifies() -> None:
    assert check_hash_format("s3cret") is not None
    assert not verify_password("s3cret", "s3cret")
    assert not verify_password("x", "scrypt$14$8$1$not-base64!$AAAA")


def test_authenticate_finds_the_account() -> None:
    accounts = (
        DemoAccount("anna", hash_password("anna-pw", log2_n=10), "Anna", "Berg"),
        DemoAccount("sven", hash_password("sven-pw", log2_n=10), "Sven", "Lund", roles=frozenset({"staff"})),
    )
    assert authenticate(accounts, "sven", "sven-pw") is accounts[1]
    assert authenticate(accounts, "sven", "anna-pw") is None
    assert authenticate(accounts, "nobody", "anna-pw") is None
    assert authenticate(accounts, "", "") is None
