"""Sealing and verifying an EDC credential of 60 courses against joserfc alone, same run.

Run: .venv/bin/python -m bench.seal_bench. Budget: our median is at most 10 ms to seal and at most
10 ms to verify, on one core, for RS256 and ES256. "Ours" is the whole job: sealing reads the
credential, checks the issuer binding and writes the JAdES JSON; verifying parses strictly, checks
the header, the signature, the chain to an anchor, binding and dates. "joserfc" is the JWS step
alone on the same bytes (serialize_json; json.loads + deserialize_json), for comparison. Each case is
timed in rounds of interleaved runs; the best round's medians count (a shared host slows whole
rounds). Exits 1 when a budget is missed.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from emrex.seal import Sealer, SealPolicy, Status, jades, verify_seal
from emrex.seal.sample import sample_credential
from emrex.trust.ca import certify, issue, make_ca, new_ec_key

BUDGET_MS = 10.0
COURSES = 60
ROUNDS, RUNS = 6, 31
ORG_ID = "NTRSE-2021001234"


def _round(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[float, float]:
    mine: list[float] = []
    other: list[float] = []
    for _ in range(RUNS):
        for action, into in ((ours, mine), (theirs, other)):
            gc.collect()
            start = time.perf_counter()
            action()
            into.append((time.perf_counter() - start) * 1000)
    return statistics.median(mine), statistics.median(other)


def _best(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[float, float]:
    ours(), theirs()
    rounds = [_round(ours, theirs) for _ in range(ROUNDS)]
    return min(rounds, key=lambda pair: pair[0])


def _case(
    algorithm: str, key: Any, certificate: Any, text: bytes, policy: SealPolicy
) -> list[tuple[str, float, float]]:
    sealer = Sealer(key, certificate)
    sealed = sealer.seal(text)
    assert verify_seal(sealed, policy).verdict is Status.PASSED
    kind = RSAKey if algorithm == "RS256" else ECKey
    private, public = kind.import_key(key), kind.import_key(key.public_key())
    registry = jades.registry(frozenset({algorithm}), 1024 * 1024, 64 * 1024 * 1024)
    header = jades.protected_header(algorithm, (certificate,), certificate.not_valid_before_utc)
    payload = json.loads(sealed)["payload"].encode("utf-8")

    def joserfc_seal() -> object:
        return jws.serialize_json(
            {"protected": header}, payload, private, algorithms=[algorithm], registry=registry
        )

    def joserfc_verify() -> object:
        return jws.deserialize_json(json.loads(sealed), public, algorithms=[algorithm], registry=registry)

    return [
        ("seal", *_best(lambda: sealer.seal(text), joserfc_seal)),
        ("verify", *_best(lambda: verify_seal(sealed, policy), joserfc_verify)),
    ]


def main() -> int:
    ca = make_ca("Bench CA")
    rsa_seal = issue(ca, "Bench seal", organization_identifier=ORG_ID)
    ec_key = new_ec_key()
    ec_cert = certify(ca, ec_key.public_key(), "Bench EC seal", organization_identifier=ORG_ID)
    credential = sample_credential(COURSES, issuer_identifier=ORG_ID)
    text = json.dumps(credential, ensure_ascii=False, indent=1).encode("utf-8")
    policy = SealPolicy(trust=(ca.certificate,))
    print(f"credential: {COURSES} courses, {len(text):,} bytes as pretty JSON")
    print(f"{'alg':<6} {'step':<7} {'ours ms':>8} {'joserfc ms':>11}  budget")
    missed = False
    for algorithm, key, certificate in (
        ("RS256", rsa_seal.key, rsa_seal.certificate),
        ("ES256", ec_key, ec_cert),
    ):
        for step, ours, theirs in _case(algorithm, key, certificate, text, policy):
            status = "ok" if ours <= BUDGET_MS else "OVER"
            missed = missed or ours > BUDGET_MS
            print(f"{algorithm:<6} {step:<7} {ours:8.2f} {theirs:11.2f}  {status}")
    verdict = "missed" if missed else "met"
    print(f"budget ours <= {BUDGET_MS:.0f} ms per step: {verdict} (joserfc alone shown for comparison)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
