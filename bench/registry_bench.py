"""Registry speed: reading a large EMREG list and catalogue, and serving from the last-good cache.

Run: .venv/bin/python bench/registry_bench.py. Exits 1 when a figure is over its budget. A real
EMREG list holds a few dozen EMPs; 300 with RSA-2048 certificates leaves a wide margin.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emrex.registry import Country, Emp, Registry, RegistryCache, catalogue_xml, emreg_json, parse_registry

EMPS = 300
BUDGET_JSON_MS = 125.0
BUDGET_CATALOGUE_MS = 100.0
BUDGET_CACHE_HIT_US = 10.0


def _registry() -> Registry:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    codes = ["SE", "NO", "FI", "DK", "PL", "IT", "NL", "DE", "HR", "SI"]
    emps = []
    for number in range(EMPS):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"emp{number}.example.org")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(number + 1)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        code = codes[number % len(codes)]
        emps.append(
            Emp(
                f"EMP{number}",
                code,
                f"https://emp{number}.example.org/emrex",
                (f"University {number}",),
                (cert,),
            )
        )
    countries = tuple(Country(c, c, True) for c in codes)
    return Registry(countries=countries, emps=tuple(emps))


def _best_ms(action: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> int:
    registry = _registry()
    json_list, catalogue = emreg_json(registry), catalogue_xml(registry)
    figures = [
        (
            f"read EMREG JSON, {EMPS} EMPs ({len(json_list) // 1024} KiB)",
            _best_ms(lambda: parse_registry(json_list)),
            BUDGET_JSON_MS,
            "ms",
        ),
        (
            f"read EWP catalogue, {EMPS} EMPs ({len(catalogue) // 1024} KiB)",
            _best_ms(lambda: parse_registry(catalogue)),
            BUDGET_CATALOGUE_MS,
            "ms",
        ),
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "emp-list.json"
        path.write_bytes(json_list)
        cache = RegistryCache(str(path), Path(folder) / "cache")
        cache.get()
        calls = 100_000
        start = time.perf_counter()
        for _ in range(calls):
            cache.get()
        figures.append(
            ("cache hit (get)", (time.perf_counter() - start) / calls * 1e6, BUDGET_CACHE_HIT_US, "µs")
        )
    over = False
    for label, value, budget, unit in figures:
        status = "ok" if value <= budget else "OVER BUDGET"
        over |= value > budget
        print(f"{label:<52} {value:8.2f} {unit}  (budget {budget:g} {unit})  {status}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
