"""The demo's people and registry: every account finds its records, and the stories the guide tells hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from emrex.demo.folder import DemoCa, DemoError, emp_key, open_folder
from emrex.demo.network import COUNTRIES, EMC, EMPS, Account, EmpPlan, seed_bytes
from emrex.demo.services import Addresses, registry_toml
from emrex.identity import IdentityPolicy, name_error_ratio
from emrex.registry.config import load_server_config
from emrex.sis.format import PersonData, parse_sis_json
from emrex.trust.certs import load_certificate


def _person(plan: EmpPlan, account: Account) -> PersonData | None:
    persons = parse_sis_json(seed_bytes(plan)).persons
    wanted = set(account.identifiers.items())
    return next((p for p in persons if wanted & set(p.identifiers.items())), None)


def _emc(username: str) -> Account:
    return next(a for a in EMC.accounts if a.username == username)


@pytest.mark.parametrize("plan", EMPS, ids=lambda p: p.acronym)
def test_every_student_account_finds_its_sis_record(plan: EmpPlan) -> None:
    for account in plan.accounts:
        if account.role == "student":
            person = _person(plan, account)
            assert person is not None, account.username
            assert (person.given_names, person.family_name) == (account.given_names, account.family_name)
            assert person.birth_date == account.birth_date


def test_the_seed_shows_what_emrex_carries() -> None:
    fjord = EMPS[0]
    chloe = _person(fjord, fjord.accounts[0])
    assert chloe is not None
    nodes = [node for root in chloe.results for node in root.walk()]
    assert {n.type for n in nodes} >= {"Degree Programme", "Module", "Course"}
    assert {n.status for n in nodes} >= {"passed", "failed", "in-progress"}
    assert any(n.distribution for n in nodes)
    assert any(len(n.titles) > 1 for n in nodes)
    institutions = parse_sis_json(seed_bytes(fjord)).institutions
    assert len(institutions) == 2  # one EMP serving several institutions of its country
    assert all(s.descriptions for i in institutions for s in i.grading_schemes)
    noah = _person(fjord, next(a for a in fjord.accounts if a.username == "noah"))
    assert noah is not None and noah.results == []


def test_chloe_studied_at_two_foreign_institutions() -> None:
    homes = {plan.acronym for plan in EMPS for a in plan.accounts if a.username == "chloe"}
    assert homes == {"FJORDNET", "KYKLADES"}


def test_identity_stories() -> None:
    policy = IdentityPolicy()
    miguel_abroad = next(a for a in EMPS[0].accounts if a.username == "miguel")
    miguel = _emc("miguel")
    ratio = name_error_ratio(
        miguel_abroad.given_names, miguel_abroad.family_name, miguel.given_names, miguel.family_name
    )
    assert policy.tolerance < ratio <= policy.review_tolerance  # close, not equal: staff review
    assert miguel_abroad.birth_date == miguel.birth_date

    eleni_abroad = EMPS[2].accounts[0]
    eleni = _emc("eleni")
    assert eleni_abroad.family_name == "Παπαδοπούλου" and eleni.family_name == "Papadopoulou"
    assert eleni_abroad.identifiers["esi"] == eleni.identifiers["esi"]  # matched by the ESI


def test_the_registry_configuration_lists_every_emp_with_its_certificate(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    ca = DemoCa(folder)
    certs = [emp_key(folder, ca, plan)[1] for plan in EMPS]
    (folder.registry_dir / "certs").mkdir(parents=True)
    for cert in certs:
        (folder.registry_dir / "certs" / f"{cert.parent.name}.pem").write_bytes(cert.read_bytes())
    addresses = Addresses(31000)
    path = folder.registry_dir / "registry.toml"
    path.write_text(registry_toml(addresses, certs), encoding="utf-8")
    config = load_server_config(path)
    registry = config.registry
    assert config.port == 31000
    assert [c.code for c in registry.countries] == [c.code for c in COUNTRIES]
    greece = registry.country("GR")
    assert greece is not None and greece.single_fetch
    assert len(registry.emps_in("GR")) == 2 and len(registry.emps_in("NO")) == 1
    for index, (plan, cert) in enumerate(zip(EMPS, certs, strict=True)):
        emp = registry.find_emp(plan.acronym)
        assert emp.url == f"http://127.0.0.1:{31002 + index}/emrex"
        assert emp.certificates == (load_certificate(cert.read_bytes()),)
        assert emp.institutions == plan.institutions


@pytest.mark.parametrize("base", [80, 1023, 65534, 70000])
def test_port_bases_out_of_range_are_refused(base: int) -> None:
    with pytest.raises(DemoError, match="--port-base"):
        Addresses(base)
