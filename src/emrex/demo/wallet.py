"""The wallet side of the demo network: the EMCs' keys as a wallet credential issuer and as verifiers
(from the demo CA, made like the demo's other keys), their ``[emc.wallet]`` and ``[emc.wallet_import]``
tables, and the demo wallet's folder (``emrex.demo.wallet_web``).

<data-dir>/emc/wallet-issuer/    key.pem, cert.pem: signs the SD-JWT VCs "Add to my wallet" issues
                                 (RSA; its certificate names Lindholm University: O, C and
                                 organizationIdentifier)
<data-dir>/emc/wallet-verifier/  key.pem, cert.pem: signs "Import from my wallet" requests (EC P-256; the
                                 certificate names the EMC's host in subjectAltName, for x509_san_dns)
<data-dir>/emc-sundby/wallet-verifier/  the same for the second EMC, Sundby University (imports only)
<data-dir>/wallet/               the demo wallet: holder-key.jwk, credentials/, its web sessions (web.db)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from emrex.demo.folder import RENEW_BEFORE, DataFolder, DemoCa, key_pair
from emrex.demo.network import EmcPlan
from emrex.trust.certs import CertificateError, load_certificate, validity_problem
from emrex.trust.keys import CA_CERT, CERT, KEY, save_key_and_certificate
from emrex.wallet.certificates import issue_certificate, san_dns_names

ISSUER_DIR = "wallet-issuer"
VERIFIER_DIR = "wallet-verifier"
WALLET_DIR = "wallet"
WALLET_DB = "web.db"


def wallet_folder(folder: DataFolder) -> Path:
    return folder.root / WALLET_DIR


def emc_tables(
    folder: DataFolder, ca: DemoCa, plan: EmcPlan, emc_host: str, wallet_url: str, *, issuing: bool
) -> dict[str, Any]:
    """``wallet_import`` (and with ``issuing``, ``wallet``) of a demo EMC: importing and issuing with demo
    keys, trusting the demo CA's issuers, both pages linked to the demo wallet at ``wallet_url``."""
    directory = folder.root / plan.folder
    base = wallet_url.rstrip("/")
    verifier_key, verifier_cert = verifier_pair(ca, directory / VERIFIER_DIR, plan, emc_host)
    tables: dict[str, Any] = {
        "wallet_import": {
            "key_file": str(verifier_key),
            "cert_file": str(verifier_cert),
            "trust": [str(folder.ca_dir / CA_CERT)],
            "name": plan.institution,
            "web_wallet_url": base + "/present",
        },
    }
    if issuing:
        issuer_key, issuer_cert = key_pair(
            ca, directory / ISSUER_DIR, f"{plan.institution} wallet issuer (demo)", plan.institution,
            plan.country, plan.seal_id,
        )  # fmt: skip
        tables["wallet"] = {
            "key_file": str(issuer_key),
            "cert_file": str(issuer_cert),
            "name": plan.institution,
            "web_wallet_url": base + "/offer",
        }
    return tables


def verifier_pair(ca: DemoCa, directory: Path, plan: EmcPlan, host: str) -> tuple[Path, Path]:
    """(key file, certificate file) of the EMC's presentation requests: an EC key whose certificate from
    the demo CA names ``host``; made anew when missing, stale, foreign or naming another host."""
    key, cert = directory / KEY, directory / CERT
    if key.is_file() and cert.is_file() and _usable(cert, ca.certificate, host):
        return key, cert
    private = ec.generate_private_key(ec.SECP256R1())
    _, certificate = issue_certificate(
        ca.issued(), f"{plan.institution} wallet verifier (demo)", dns_names=[host], key=private
    )
    save_key_and_certificate(directory, private, certificate, force=True)
    return key, cert


def _usable(path: Path, ca: x509.Certificate, host: str) -> bool:
    try:
        certificate = load_certificate(path.read_bytes())
        certificate.verify_directly_issued_by(ca)
    except (OSError, CertificateError, ValueError, TypeError, InvalidSignature):
        return False
    soon = dt.datetime.now(dt.UTC) + RENEW_BEFORE
    return host in san_dns_names(certificate) and validity_problem(certificate, soon) is None
