"""Demo accounts: salted scrypt password hashes, checked in constant time.

A stored hash reads ``scrypt$<log2 n>$<r>$<p>$<salt base64>$<hash base64>``; make one with
``hash_password`` (or ``emrex login hash-password``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings imports this module's check_hash_format: only the type is needed here
    from emrex.web.login.settings import DemoAccount

_LOG2_N = 14
_R = 8
_P = 1
_LENGTH = 32
# Bounds on parameters read from configuration, so a typo cannot make each login take minutes.
_MAX_LOG2_N = 20


def hash_password(password: str, *, log2_n: int = _LOG2_N) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, log2_n, _R, _P)
    return "$".join(
        ["scrypt", str(log2_n), str(_R), str(_P), _b64(salt), _b64(digest)],
    )


def check_hash_format(stored: str) -> str | None:
    """None when ``stored`` is a hash we can check, otherwise what is wrong with it."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return "expected scrypt$<log2 n>$<r>$<p>$<salt>$<hash> (make one with 'emrex login hash-password')"
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return "the scrypt parameters or base64 parts cannot be read"
    if not (10 <= log2_n <= _MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 4):
        return "scrypt parameters out of range (log2 n 10..20, r 1..32, p 1..4)"
    if len(salt) < 8 or len(digest) < 16:
        return "salt or hash too short"
    return None


def verify_password(password: str, stored: str) -> bool:
    if check_hash_format(stored) is not None:
        return False
    _, log2_n, r, p, salt, digest = stored.split("$")
    expected = _unb64(digest)
    actual = _scrypt(password, _unb64(salt), int(log2_n), int(r), int(p), len(expected))
    return hmac.compare_digest(actual, expected)


def _parameters(stored: str) -> tuple[int, int, int, int, int] | None:
    """(log2 n, r, p, salt length, key length) of a well-formed hash."""
    if check_hash_format(stored) is not None:
        return None
    _, log2_n, r, p, salt, digest = stored.split("$")
    return int(log2_n), int(r), int(p), len(_unb64(salt)), len(_unb64(digest))


@functools.cache
def _dummy_hash(parameters: tuple[int, int, int, int, int]) -> str:
    # Random salt and key: no password gives it, and making it costs no scrypt run.
    log2_n, r, p, salt_length, length = parameters
    salt, digest = secrets.token_bytes(salt_length), secrets.token_bytes(length)
    return "$".join(["scrypt", str(log2_n), str(r), str(p), _b64(salt), _b64(digest)])


def _dummy_for(accounts: tuple[DemoAccount, ...]) -> str:
    """Checked when the username is unknown: a hash with the parameters most accounts use, so that an
    unknown name costs the same scrypt work as a known one (timing does not tell which names exist)."""
    found = [params for params in map(_parameters, (a.password_hash for a in accounts)) if params]
    if not found:
        return _dummy_hash((_LOG2_N, _R, _P, 16, _LENGTH))
    return _dummy_hash(Counter(found).most_common(1)[0][0])


def authenticate(accounts: tuple[DemoAccount, ...], username: str, password: str) -> DemoAccount | None:
    """The account whose username and password match, or None (same cost either way)."""
    found = None
    for account in accounts:
        if hmac.compare_digest(account.username.encode(), username.encode()):
            found = account
    ok = verify_password(password, found.password_hash if found else _dummy_for(accounts))
    return found if ok and found is not None else None


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int, length: int = _LENGTH) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (1 << 20), dklen=length
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
