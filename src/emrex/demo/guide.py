"""What a newcomer (and a script) needs to find in the running demo: demo.json and a short text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from emrex.demo.ewp import HOST_PLAN as EWP_HOST_PLAN
from emrex.demo.ewp import facts as ewp_facts
from emrex.demo.folder import DataFolder
from emrex.demo.network import ADMISSIONS, COUNTRIES, EMC, EMPS, PASSWORD, EmpPlan
from emrex.demo.oots import PROVIDER_ACRONYM
from emrex.demo.services import Addresses
from emrex.demo.wallet import wallet_folder

RETURN_PATH = "/emrex/return"


def facts(addresses: Addresses, data_dir: Path, api_token: str) -> dict[str, Any]:
    """The content of demo.json: where each service is, its configuration file, its accounts."""
    countries = {c.code: c for c in COUNTRIES}
    folder = DataFolder(data_dir.resolve())
    return {
        "registry": {
            "url": addresses.registry_list,
            "home": addresses.registry,
            "countries": [{"code": c.code, "name": c.name, "singleFetch": c.single_fetch} for c in COUNTRIES],
            "config": str(folder.registry_dir / "registry.toml"),
        },
        "emc": {
            "url": addresses.emc,
            "return_url": addresses.emc.rstrip("/") + RETURN_PATH,
            "title": EMC.title,
            "institution": EMC.institution,
            "accounts": [a.public() for a in EMC.accounts],
            "config": str(folder.emc_dir / "emc.toml"),
            "api": {
                "url": addresses.emc + "api/v1/",
                "openapi": addresses.emc + "api/v1/openapi.json",
                "token": api_token,  # send as "Authorization: Bearer <token>"
            },
        },
        "emps": [
            {
                "acronym": plan.acronym,
                "country": plan.country,
                "country_name": countries[plan.country].name,
                "url": addresses.emp_entry(index),
                "home": addresses.emp(index),
                "title": plan.title,
                "institutions": list(plan.institutions),
                "accounts": [a.public() for a in plan.accounts],
                "config": str(folder.emp_dir(plan) / "emp.toml"),
                **_saml(addresses, index, plan),
            }
            for index, plan in enumerate(EMPS)
        ],
        "oots": {
            "requester": addresses.oots_requester,
            "access_point": addresses.oots_access_point,
            "provider": PROVIDER_ACRONYM,
            "account": "eleni",
            "simulated": "the eDelivery network (AS4 security, receipts, discovery) and the Common Services",
        },
        "ewp": ewp_facts(folder, addresses.registry, addresses.emp(EMPS.index(EWP_HOST_PLAN))),
        "admissions": {
            "url": addresses.admissions,
            "title": ADMISSIONS.title,
            "institution": ADMISSIONS.institution,
            "accounts": [a.public() for a in ADMISSIONS.accounts],
            "config": str(folder.root / ADMISSIONS.folder / "emc.toml"),
        },
        "wallet": {
            "url": addresses.wallet,
            "offer_endpoint": addresses.wallet + "offer",
            "request_endpoint": addresses.wallet + "present",
            "folder": str(wallet_folder(folder)),
            "simulated": "a wallet for the demo (emrex.wallet.holder behind a web page), not an EUDI wallet",
        },
        "data_dir": str(data_dir.resolve()),
        "pid": os.getpid(),
    }


def _saml(addresses: Addresses, index: int, plan: EmpPlan) -> dict[str, str]:
    """For the EMP whose students log in through the demo SAML identity provider: both metadata URLs."""
    if not plan.saml_domain:
        return {}
    return {
        "saml_metadata": addresses.emp(index) + "login/saml/metadata",
        "saml_idp_metadata": addresses.saml_idp + "metadata",
    }


def write_facts(path: Path, content: dict[str, Any]) -> None:
    """Written whole or not at all (a script polling for the file never reads half of it)."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def text(content: dict[str, Any]) -> str:
    """The getting-started text printed when the network is ready."""
    emc = content["emc"]
    lines = [
        "The EMREX demo network is running on this machine (Ctrl-C stops it).",
        "",
        f"  Home institution (EMC)  {emc['url']}   {emc['institution']}",
    ]
    for emp in content["emps"]:
        lines.append(f"  EMP {emp['acronym']:<10}          {emp['home']}   {', '.join(emp['institutions'])}")
    saml = [emp for emp in content["emps"] if "saml_idp_metadata" in emp]
    for emp in saml:
        idp_home = emp["saml_idp_metadata"].rsplit("metadata", 1)[0]
        lines.append(f"  SAML IdP (demo)         {idp_home}   login for {', '.join(emp['institutions'])}")
    lines += [
        f"  OOTS requester (demo)   {content['oots']['requester']}   admissions portal asking through OOTS",
        f"  OOTS access point       {content['oots']['access_point']}   simulated eDelivery",
        f"  Second EMC              {content['admissions']['url']}   {content['admissions']['institution']}"
        " (imports from wallets)",
        f"  Demo wallet (simulated) {content['wallet']['url']}   not a real EU Digital Identity wallet",
        f"  Registry (EMREG JSON)   {content['registry']['url']}",
        "",
        f"Every password is '{PASSWORD}'. Try one transfer:",
        f"  1. Open {emc['url']} and log in as 'chloe'.",
        "  2. Choose Norway, press Next, then Go to the data provider. At FjordNet press Log in and",
        "     log in as 'chloe' too.",
        "  3. Tick courses, Continue to preview, tick the consent box, Send: you are sent back home.",
        "  4. Check the results and press Import these results; download the PDF transcript.",
        "  5. Download them as a sealed European Digital Credential too, and check that file (or the",
        f"     signed XML) at {emc['url']}verify, the public verification page (no login needed).",
        f"  Staff: log in at {emc['url']} as 'staff': the staff overview, reviews, Find a student.",
        f"  The SIS API: {emc['api']['url']}transfers, with the header",
        "    'Authorization: Bearer <the emc.api.token of demo.json>'.",
        f"  Configuration files: {emc['config']} and each EMP's emp.toml (for --config commands).",
        f"  EWP: 'staff' fetches chloe's transcript from {content['ewp']['mobility']['partner']} (mobility "
        f"{content['ewp']['mobility']['omobility_id']}) at {emc['url'].rstrip('/')}/staff/ewp.",
        "  Credit recognition: with imported results, 'chloe' applies at /recognition (a decided case",
        "  is there already); 'staff' handles the cases at /staff/recognition.",
        "  Wallet: as 'chloe' at the EMC, open imported results, 'Add to my wallet', 'Open in my web",
        "  wallet', enter the transaction code. Then log in as 'chloe' at the second EMC",
        f"  ({content['admissions']['url']}), 'Import from my wallet', 'Open in my web wallet', tick the",
        "  courses, present: it checks the credential and shows the results, vouched for by Lindholm.",
        f"  OOTS (EU Once-Only): open {content['oots']['requester']} (an admissions portal), ask for",
        "  eleni's transcript, log in at Olympos as 'eleni', agree: the portal shows the evidence.",
        "",
        "Accounts at the EMC:",
    ]
    lines += [f"  {a['username']:<8} {a['purpose']}" for a in emc["accounts"]]
    lines.append(f"Accounts at the second EMC ({content['admissions']['institution']}):")
    lines += [f"  {a['username']:<8} {a['purpose']}" for a in content["admissions"]["accounts"]]
    for emp in content["emps"]:
        via = " (log in at the demo SAML identity provider)" if "saml_idp_metadata" in emp else ""
        lines.append(f"Accounts at {emp['acronym']} ({emp['country_name']}){via}:")
        lines += [f"  {a['username']:<8} {a['purpose']}" for a in emp["accounts"]]
    lines += ["", f"Everything above, as JSON: {Path(content['data_dir']) / 'demo.json'}"]
    return "\n".join(lines)
