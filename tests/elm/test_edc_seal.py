"""An organisation's EDC seal (shared by the EMC and the EMP): the settings' forms, the certificate
checked against the configured issuer at start, and the sealed Converted credential it makes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from emrex.elm import extract_original
from emrex.elm.edc import verify_edc
from emrex.elm.edc_seal import CredentialSealer, SealFailed, SealSettings, SealSetupError, seal_settings
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.seal import SealPolicy
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.keys import save_issued
from emrex.trust.signer import Signer

GREEK_VAT = "VATEL-099000123"  # Greek VAT numbers carry EL; the country is GR


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca("EDC seal test CA")


def files(directory: Path, issued: Issued) -> tuple[Path, Path]:
    save_issued(directory, issued, force=True)
    return directory / "key.pem", directory / "cert.pem"


def settings(directory: Path, issued: Issued, **changes: str) -> SealSettings:
    key, cert = files(directory, issued)
    made = seal_settings(key, cert, "Olympos  Polytechnic", "gr", GREEK_VAT, where="seal")
    return dataclasses.replace(made, **changes)


def test_settings_are_normalised_and_name_the_setting_under_the_prefix() -> None:
    made = seal_settings(Path("k"), Path("c"), " Olympos \n Polytechnic ", "gr", GREEK_VAT, where="x.seal")
    assert (made.issuer_name, made.issuer_country, made.issuer_id) == ("Olympos Polytechnic", "GR", GREEK_VAT)
    with pytest.raises(SealSetupError, match=r"^x\.seal\.issuer_country: a two-letter"):
        seal_settings(Path("k"), Path("c"), "Olympos", "Greece", GREEK_VAT, where="x.seal")
    with pytest.raises(SealSetupError, match=r"^emc\.seal\.issuer_id: '099000123' is not an ETSI"):
        seal_settings(Path("k"), Path("c"), "Olympos", "GR", "099000123", where="emc.seal")
    with pytest.raises(SealSetupError, match=r"^seal\.issuer_name: missing"):
        seal_settings(Path("k"), Path("c"), "  ", "GR", GREEK_VAT, where="seal")


def test_the_certificate_must_name_the_configured_issuer(tmp_path: Path, ca: Issued) -> None:
    seal = issue(
        ca, "Olympos EDC seal", organization="Olympos Polytechnic", organization_identifier=GREEK_VAT
    )
    loaded = CredentialSealer.from_settings(settings(tmp_path / "ok", seal))
    assert loaded.issuer.eidas_identifier == GREEK_VAT and loaded.issuer.country == "GR"  # EL is Greece
    with pytest.raises(
        SealSetupError, match=r"^seal\.issuer_id: VATEL-099000999 is not the seal certificate's"
    ):
        CredentialSealer.from_settings(settings(tmp_path / "a", seal, issuer_id="VATEL-099000999"))
    with pytest.raises(SealSetupError, match=r"^seal\.issuer_country: CY is not the country"):
        CredentialSealer.from_settings(settings(tmp_path / "b", seal, issuer_country="CY"))
    plain = issue(ca, "No organisation identifier")
    with pytest.raises(SealSetupError, match=r"^seal\.cert_file: .* names no organizationIdentifier"):
        CredentialSealer.from_settings(settings(tmp_path / "c", plain))
    another_key = dataclasses.replace(
        settings(tmp_path / "d", seal), key_file=files(tmp_path / "e", plain)[0]
    )
    with pytest.raises(SealSetupError, match=r"^seal: .*private key does not belong"):
        CredentialSealer.from_settings(another_key)


def test_the_sealed_credential_embeds_the_signed_elmo(tmp_path: Path, ca: Issued) -> None:
    seal = issue(
        ca, "Olympos EDC seal", organization="Olympos Polytechnic", organization_identifier=GREEK_VAT
    )
    sealer = CredentialSealer.from_settings(settings(tmp_path, seal))
    emp = issue(ca, "Olympos EMP")
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(4)))
    sealed = sealer.seal(signed, read_elmo(signed).elmo)
    result = verify_edc(sealed, SealPolicy(trust=(ca.certificate,)), shapes_dir=tmp_path / "no-shapes")
    assert result.accepted, [(c.name, c.status, c.summary) for c in result.checks]
    assert result.organization_identifier == GREEK_VAT
    assert extract_original(dict(result.credential)) == signed
    empty = read_elmo(signed).elmo
    empty = dataclasses.replace(empty, reports=())
    with pytest.raises(SealFailed, match="the credential cannot be made"):
        sealer.seal(signed, empty)
