"""Validity dates: the seal certificate's, against the validation time and the claimed signing time,
and the credential's own (``validFrom``/``validUntil``, or VCDM 1.1 ``issuanceDate``/``expirationDate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from emrex.seal.result import CERTIFICATE_VALIDITY, CREDENTIAL_VALIDITY, Check, Status

CLOCK_SKEW = dt.timedelta(minutes=5)


def check_certificate(cert: x509.Certificate, at: dt.datetime, signing_time: dt.datetime | None) -> Check:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    period = f"valid {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    if signing_time is not None:
        if signing_time > at + CLOCK_SKEW:
            return _cert(Status.FAILED, f"the claimed signing time {_t(signing_time)} is after {_t(at)}")
        if not start <= signing_time <= end:
            return _cert(
                Status.FAILED,
                f"the seal claims {_t(signing_time)}, when its certificate was not valid ({period})",
            )
    if at < start:
        return _cert(Status.FAILED, f"the seal certificate is not valid before {_t(start)}")
    if at > end:
        if signing_time is None:
            return _cert(
                Status.INDETERMINATE,
                f"the seal certificate expired on {_t(end)} and no signing time is given",
            )
        return _cert(
            Status.INDETERMINATE,
            f"the seal certificate expired on {_t(end)}; the seal claims it was made on {_t(signing_time)}, "
            "while it was valid, but no timestamp was checked to prove it",
        )
    return _cert(Status.PASSED, f"the seal certificate is {period}")


def check_credential(credential: Mapping[str, Any], at: dt.datetime) -> Check:
    begin_name = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_name = "validUntil" if "validUntil" in credential else "expirationDate"
    begin, problem = _date(credential, begin_name)
    end, problem2 = _date(credential, end_name)
    if problem or problem2:
        return _cred(Status.FAILED, problem or problem2)
    if begin is not None and at + CLOCK_SKEW < begin:
        return _cred(Status.FAILED, f"the credential is not valid before {_t(begin)}")
    if end is not None and at > end:
        return _cred(Status.FAILED, f"the credential expired on {_t(end)}")
    if begin is None and end is None:
        return _cred(Status.PASSED, "the credential gives no validity period")
    since = f"valid from {_t(begin)}" if begin else "valid"
    return _cred(
        Status.PASSED, f"the credential is {since}" + (f" until {_t(end)}" if end else ", with no end")
    )


def _date(credential: Mapping[str, Any], name: str) -> tuple[dt.datetime | None, str]:
    value = credential.get(name)
    if value is None:
        return None, ""
    if not isinstance(value, str) or len(value) > 40:
        return None, f"the credential's {name} is not a date"
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None, f"the credential's {name} {value!r} is not a date"
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)), ""


def _t(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _cert(status: Status, summary: str) -> Check:
    return Check(CERTIFICATE_VALIDITY, status, summary)


def _cred(status: Status, summary: str) -> Check:
    return Check(CREDENTIAL_VALIDITY, status, summary)
