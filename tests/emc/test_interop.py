"""Real answers of other implementations (the Danish NCP) through the EMC's return path, and fuzzing."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from pathlib import Path

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from emrex.elmo.codec import DEFAULT_LIMITS, decode, encode
from emrex.elmo.reader import read_elmo
from emrex.emc.returns import ReturnRefused, receive_elmo
from emrex.identity import DEFAULT_IDENTITY_POLICY, LocalPerson, Verdict
from emrex.trust import VerifyPolicy
from emrex.trust.ca import issue, make_ca
from emrex.trust.certs import load_certificate


def danish(interop_dir: Path) -> tuple[x509.Certificate, VerifyPolicy]:
    certificate = load_certificate((interop_dir / "certs" / "dk-emrex__dk-emrex-test.cer").read_bytes())
    # The test certificate has expired since; check it as at a moment of its validity.
    moment = certificate.not_valid_before_utc + dt.timedelta(days=1)
    return certificate, VerifyPolicy(sha1="allow", at=moment)


def owner_of(value: str) -> LocalPerson:
    learner = read_elmo(decode(value)).elmo.learner
    return LocalPerson(learner.given_names, learner.family_name, learner.birth_date)


@pytest.mark.parametrize("name", ["dk-emrex__elmo-tomcat-signed-zipped-base64.txt", "dk-emrex__wl.txt"])
def test_danish_answers_are_verified_and_read(interop_dir: Path, name: str) -> None:
    certificate, policy = danish(interop_dir)
    value = (interop_dir / "transport" / name).read_text()
    xml, received = receive_elmo(
        value,
        [certificate],
        owner_of(value),
        limits=DEFAULT_LIMITS,
        policy=policy,
        identity_policy=DEFAULT_IDENTITY_POLICY,
    )
    assert xml == decode(value)
    assert received.identity.verdict is Verdict.MATCH
    assert any("SHA-1" in w for w in received.verified.warnings)
    assert received.courses and all(c.title for c in received.courses)


def test_the_danish_answer_of_someone_else_is_refused(interop_dir: Path) -> None:
    certificate, policy = danish(interop_dir)
    value = (interop_dir / "transport" / "dk-emrex__elmo-tomcat-signed-zipped-base64.txt").read_text()
    with pytest.raises(ReturnRefused) as caught:
        receive_elmo(
            value,
            [certificate],
            LocalPerson("Someone", "Else", dt.date(1970, 1, 1)),
            limits=DEFAULT_LIMITS,
            policy=policy,
            identity_policy=DEFAULT_IDENTITY_POLICY,
        )
    assert caught.value.stage == "identity"


def test_sha1_refused_by_policy(interop_dir: Path) -> None:
    certificate, policy = danish(interop_dir)
    value = (interop_dir / "transport" / "dk-emrex__wl.txt").read_text()
    strict = VerifyPolicy(sha1="reject", at=policy.at)
    with pytest.raises(ReturnRefused) as caught:
        receive_elmo(
            value,
            [certificate],
            owner_of(value),
            limits=DEFAULT_LIMITS,
            policy=strict,
            identity_policy=DEFAULT_IDENTITY_POLICY,
        )
    assert caught.value.stage == "signature"


@pytest.mark.parametrize(
    ("folder", "name", "stage"),
    [
        ("transport", "dk-emrex__elmo-wl-signed-zipped-base64.txt", "document"),
        ("signed-invalid", "dk-emrex__elmo-wl-signed.xml", "signature"),
    ],
)
def test_broken_danish_answers_are_refused(interop_dir: Path, folder: str, name: str, stage: str) -> None:
    certificate, policy = danish(interop_dir)
    data = (interop_dir / folder / name).read_bytes()
    with pytest.raises(ReturnRefused) as caught:
        receive_elmo(
            data.decode("latin-1"),
            [certificate],
            LocalPerson("A", "B"),
            limits=DEFAULT_LIMITS,
            policy=policy,
            identity_policy=DEFAULT_IDENTITY_POLICY,
        )
    assert caught.value.stage == stage


FUZZ_CERTIFICATE = issue(make_ca("fuzz CA"), "fuzz EMP").certificate


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
        st.binary(max_size=300).map(lambda b: base64.b64encode(gzip.compress(b)).decode()),
        st.text(max_size=200).map(lambda t: encode(f"<elmo>{t}</elmo>".encode())),
    )
)
def test_any_value_is_refused_cleanly(value: str) -> None:
    with pytest.raises(ReturnRefused) as caught:
        receive_elmo(
            value,
            [FUZZ_CERTIFICATE],
            LocalPerson("A", "B"),
            limits=DEFAULT_LIMITS,
            policy=VerifyPolicy(),
            identity_policy=DEFAULT_IDENTITY_POLICY,
        )
    assert caught.value.stage in ("transport", "signature", "document")
    assert "\n" not in str(caught.value)
