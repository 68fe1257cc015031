"""The demo's SAML federation: one data provider logs its students in through a demo identity provider.

Keys come from the demo CA: the identity provider's signing key, a "federation" key that signs the
identity provider's metadata (as SWAMID, Haka or eduGAIN sign theirs), and the EMP's SAML key. The EMP
reads the identity provider's metadata from its URL and checks that signature; the identity provider
reads the EMP's metadata from the EMP's ``/login/saml/metadata``. Both run in the demo's one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from emrex.demo.folder import DataFolder, DemoCa, key_pair
from emrex.demo.network import Account, EmpPlan
from emrex.demo.saml_idp import IdentityProvider, IdpAccount

IDP_TITLE = "Demo identity provider (SAML)"


@dataclass(frozen=True)
class FederationKeys:
    sp: tuple[Path, Path]  # the EMP's SAML key and certificate
    idp: tuple[Path, Path]
    federation: tuple[Path, Path]  # signs the identity provider's metadata


def federation_keys(folder: DataFolder, ca: DemoCa, plan: EmpPlan) -> FederationKeys:
    return FederationKeys(
        sp=key_pair(ca, folder.emp_dir(plan) / "saml", f"{plan.acronym} demo SAML SP", plan.institutions[0]),
        idp=key_pair(ca, folder.saml_dir / "idp", "Demo SAML identity provider", plan.institutions[0]),
        federation=key_pair(ca, folder.saml_dir / "federation", "Demo federation metadata signer"),
    )


def emp_login(plan: EmpPlan, emp_url: str, idp_url: str, keys: FederationKeys) -> dict[str, Any]:
    """The EMP's ``login`` table: SAML against the demo identity provider, staff by affiliation."""
    base = emp_url.rstrip("/")
    return {
        "method": "saml",
        "saml": {
            "entity_id": base + "/login/saml/metadata",
            "key_file": str(keys.sp[0]),
            "certificate_file": str(keys.sp[1]),
            "idp_metadata": idp_url.rstrip("/") + "/metadata",
            "idp_metadata_certificate": str(keys.federation[1]),
            "organization_name": plan.institutions[0],
            "organization_url": base,
            "technical_contact": f"emrex@{plan.saml_domain}",
            "entity_categories": ["https://refeds.org/category/personalized"],
        },
        "role_rules": [{"role": "staff", "source": "eduPersonAffiliation", "values": ["staff"]}],
    }


def idp_app(plan: EmpPlan, emp_url: str, idp_url: str, keys: FederationKeys) -> Any:
    """The demo identity provider's ASGI app, knowing the EMP's metadata at its URL."""
    metadata_url = emp_url.rstrip("/") + "/login/saml/metadata"

    def sp_metadata() -> list[str]:
        # Called from a worker thread of the identity provider: the event loop serves the EMP meanwhile.
        response = httpx.get(metadata_url, timeout=10, trust_env=False)
        response.raise_for_status()
        return [response.text]

    provider = IdentityProvider(
        entity_id=idp_url.rstrip("/") + "/metadata",
        base_url=idp_url,
        key_file=keys.idp[0],
        certificate_file=keys.idp[1],
        accounts=[idp_account(plan, a) for a in plan.accounts],
        sp_metadata=sp_metadata,
        metadata_key_file=keys.federation[0],
        metadata_certificate_file=keys.federation[1],
        title=f"{plan.institutions[0]} – {IDP_TITLE}",
    )
    return provider.app()


def idp_account(plan: EmpPlan, account: Account) -> Any:
    """What the identity provider knows of a demo account: the usual eduPerson and SCHAC attributes."""
    domain = plan.saml_domain
    staff = account.role == "staff"
    attributes: dict[str, list[str]] = {
        "eduPersonPrincipalName": [f"{account.username}@{domain}"],
        "givenName": [account.given_names],
        "sn": [account.family_name],
        "displayName": [f"{account.given_names} {account.family_name}"],
        "mail": [f"{account.username}@{domain}"],
        "schacHomeOrganization": [domain],
        "eduPersonAffiliation": ["staff", "employee", "member"] if staff else ["student", "member"],
    }
    if account.birth_date is not None:
        attributes["schacDateOfBirth"] = [account.birth_date.strftime("%Y%m%d")]
    if "esi" in account.identifiers:
        attributes["schacPersonalUniqueCode"] = [account.identifiers["esi"]]
    if "nationalIdentifier" in account.identifiers:
        attributes["norEduPersonNIN"] = [account.identifiers["nationalIdentifier"]]
    return IdpAccount(account.username, account.password, attributes, account.purpose)
