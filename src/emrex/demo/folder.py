"""The demo's data folder: a CA and EMP keys made on first start, databases, and what was seeded.

<data-dir>/.emrex-demo          marks the folder as ours (--reset deletes only such a folder)
<data-dir>/demo.json            the running network's URLs and accounts (rewritten at each start)
<data-dir>/ca/                  the demo CA (ca-key.pem, ca-cert.pem)
<data-dir>/registry/            registry.toml and the EMP certificates it publishes
<data-dir>/emp-<key>/           key.pem, cert.pem, emp.db (the EMP's database and its SIS)
<data-dir>/emc/                 emc.db, the registry cache; seal/ the EMC's EDC seal key and certificate
<data-dir>/saml/                the demo SAML federation: idp/ and federation/ (metadata signer) keys
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from emrex.demo.network import EmpPlan
from emrex.errors import EmrexError
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.certs import CertificateError, load_certificate, validity_problem
from emrex.trust.keys import CA_CERT, CERT, KEY, load_ca, save_ca, save_issued
from emrex.trust.orgid import organization_identifier_of

MARKER = ".emrex-demo"
SEED_STAMP = "seeded.sha256"
# Certificates closer than this to their end are made anew at start.
RENEW_BEFORE = dt.timedelta(days=7)
BACKDATE = dt.timedelta(days=60)


class DemoError(EmrexError):
    """The demo network cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class DataFolder:
    root: Path

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def registry_dir(self) -> Path:
        return self.root / "registry"

    @property
    def emc_dir(self) -> Path:
        return self.root / "emc"

    @property
    def demo_json(self) -> Path:
        return self.root / "demo.json"

    @property
    def saml_dir(self) -> Path:
        return self.root / "saml"

    def emp_dir(self, plan: EmpPlan) -> Path:
        return self.root / f"emp-{plan.key}"


def open_folder(root: str | Path, *, reset: bool = False) -> DataFolder:
    """The data folder at ``root``, made when missing; with ``reset`` an earlier demo's folder is emptied.

    A folder that holds other files and was not made by the demo is refused, so a mistyped
    ``--data-dir`` never deletes or litters someone's files.
    """
    path = Path(root).expanduser()
    if path.exists() and not path.is_dir():
        raise DemoError(f"{path} is a file; --data-dir must name a folder")
    ours = (path / MARKER).is_file()
    pid = running_pid(DataFolder(path)) if ours else None
    if pid is not None:
        raise DemoError(f"a demo runs from {path} already (process {pid}); stop it first (Ctrl-C there)")
    if path.is_dir() and not ours and any(path.iterdir()):
        raise DemoError(f"{path} is not empty and was not made by 'emrex demo'; choose another --data-dir")
    if reset and ours:
        try:
            shutil.rmtree(path)
        except OSError as error:
            raise DemoError(f"{path}: cannot delete the old demo data ({error.strerror})") from None
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        (path / MARKER).write_text("A data folder of 'emrex demo'; 'emrex demo --reset' deletes it.\n")
    except OSError as error:
        raise DemoError(f"{path}: cannot create the data folder ({error.strerror})") from None
    return DataFolder(path)


def running_pid(folder: DataFolder) -> int | None:
    """The process id of a demo that runs from this folder now (its demo.json names a live process)."""
    try:
        pid = json.loads(folder.demo_json.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, another user's
    return pid


class DemoCa:
    """The folder's CA, made on first use (and again when it is about to expire). Its private key is
    read only when a certificate must be issued: loading a key costs start-up time."""

    def __init__(self, folder: DataFolder) -> None:
        self.folder = folder
        self._issued: Issued | None = None
        self.certificate = self._certificate()

    def _certificate(self) -> x509.Certificate:
        path = self.folder.ca_dir / CA_CERT
        if path.exists():
            try:
                certificate = load_certificate(path.read_bytes())
            except (OSError, CertificateError) as error:
                raise DemoError(f"{path}: {error} (start with --reset to make new demo keys)") from None
            if validity_problem(certificate, dt.datetime.now(dt.UTC) + RENEW_BEFORE) is None:
                return certificate
        self._issued = make_ca("EMREX demo CA", not_before=_backdated())
        save_ca(self.folder.ca_dir, self._issued, force=True)
        return self._issued.certificate

    def issued(self) -> Issued:
        if self._issued is None:
            try:
                self._issued = load_ca(self.folder.ca_dir)
            except CertificateError as error:
                raise DemoError(f"{error} (start with --reset to make new demo keys)") from None
        return self._issued


def emp_key(folder: DataFolder, ca: DemoCa, plan: EmpPlan) -> tuple[Path, Path]:
    """(key file, certificate file) of an EMP, issued by the demo CA when missing, stale or foreign."""
    return key_pair(ca, folder.emp_dir(plan), f"{plan.acronym} demo EMP", plan.institutions[0], plan.country)


def key_pair(
    ca: DemoCa,
    directory: Path,
    cn: str,
    organization: str | None = None,
    country: str | None = None,
    organization_identifier: str | None = None,
) -> tuple[Path, Path]:
    """(key file, certificate file) in ``directory``, issued by the demo CA when missing, stale or foreign
    (or naming another ``organization_identifier``, the tie of an EDC seal to its issuer)."""
    key, cert = directory / KEY, directory / CERT
    if key.is_file() and cert.is_file():
        try:
            certificate = load_certificate(cert.read_bytes())
        except (OSError, CertificateError):
            certificate = None
        if (
            certificate is not None
            and organization_identifier_of(certificate) == organization_identifier
            and _signed_by(certificate, ca.certificate)
            and validity_problem(certificate, dt.datetime.now(dt.UTC) + RENEW_BEFORE) is None
        ):
            return key, cert
    issued = issue(
        ca.issued(),
        cn,
        organization=organization,
        country=country,
        organization_identifier=organization_identifier,
        not_before=_backdated(),
    )
    save_issued(directory, issued, force=True)
    return key, cert


def _backdated() -> dt.datetime:
    # The demo's stories happened in the past (a recognition case decided weeks ago): its certificates
    # were already valid then, so the documents of those days still verify.
    return dt.datetime.now(dt.UTC) - BACKDATE


def seed_once(folder: Path, data: bytes, load: Callable[[], object]) -> bool:
    """Call ``load()`` unless ``data`` was loaded into this folder's database before; True if it ran."""
    stamp = folder / SEED_STAMP
    digest = hashlib.sha256(data).hexdigest()
    try:
        if stamp.read_text().strip() == digest:
            return False
    except OSError:
        pass
    load()
    stamp.write_text(digest + "\n")
    return True


def _signed_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
