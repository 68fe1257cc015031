"""Issuing and verifying ELM credentials (SD-JWT VC) beside the PyPI ``sd-jwt`` package, in one run.

Run: .venv/bin/python -m bench.wallet_bench. Budgets (CPU time, the median of a window): issue a
60-course credential in at most 20 ms; verify a presentation of it (all 60 courses, key binding) in at
most 10 ms; import it at the EMC as a plain ELM credential (``emrex.emc.wallet_plain``: verify, convert
the ELM to ELMO, match the learner, read the courses) in at most 50 ms. The credential is the shared
DC4EU sample (``uio-tor.elm.json``) with its courses repeated to 60 (about 600 kB of ELM). ``sd-jwt``
(on jwcrypto) does the same SD-JWT work on the same claims with the same disclosable paths; it checks
less when verifying (no x5c chain, type, validity or duplicate members), so its figure is the lower
bound of the work, for comparison only. Cases are judged as in bench.elmo_bench: windows, up to five
rounds apart, and the host probe. Exits 1 when a budget is missed, 2 when the shared sample or
``sd-jwt`` is missing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.elmo_bench import PAUSE_SECONDS, ROUNDS, Case
from emrex.emc.returns import Received
from emrex.emc.wallet_plain import convert
from emrex.identity import IdentityPolicy, Verdict
from emrex.trust.ca import make_ca
from emrex.wallet import (
    TrustAnchors,
    VerifyPolicy,
    issue_certificate,
    issue_elm_credential,
    present,
    signing_key,
    verify_presentation,
)
from emrex.wallet.credential import elm_claims, elm_disclosable_paths
from emrex.wallet.jose import Json, new_ec_key
from emrex.wallet.typemeta import COURSES
from emrex.web.auth import Person

COURSE_COUNT = 60
ISSUE_BUDGET_MS, VERIFY_BUDGET_MS, IMPORT_BUDGET_MS = 20.0, 10.0, 50.0
RUNS = 31
AUD = "x509_san_dns:emc.example"
SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "samples-elm" / "converter-dc4eu" / "uio-tor.elm.json"
)


def elm_of(courses: int) -> Json:
    elm: Json = json.loads(SAMPLE.read_text(encoding="utf-8"))
    subject = elm["credentialSubject"]
    sample = subject["hasClaim"]
    subject["hasClaim"] = [
        {**sample[n % len(sample)], "id": f"urn:epass:learningAchievement:bench-{n}"} for n in range(courses)
    ]
    return elm


def reference(elm: Json, issuer: Any, holder: Any, x5c: tuple[str, ...]) -> tuple[Any, Any]:
    """Issue and verify with the PyPI ``sd-jwt`` package: the same claims, the same disclosable paths."""
    from cryptography import x509
    from jwcrypto.jwk import JWK
    from sd_jwt.common import SDObj
    from sd_jwt.issuer import SDJWTIssuer
    from sd_jwt.verifier import SDJWTVerifier

    issuer_jwk = JWK.from_json(json.dumps(issuer.key.as_dict(private=True)))
    holder_jwk = JWK.from_json(json.dumps(holder.key.as_dict(private=False)))
    paths = elm_disclosable_paths(elm_claims(elm))
    subject = {
        (SDObj(k) if ("elm", "credentialSubject", k) in paths else k): v
        for k, v in elm["credentialSubject"].items()
    }
    subject["hasClaim"] = [SDObj(course) for course in elm["credentialSubject"]["hasClaim"]]
    claims = {
        "iss": "https://emc.example",
        "vct": "urn:eudi:elm:1",
        "elm": {**{k: v for k, v in elm.items() if k != "displayParameter"}, "credentialSubject": subject},
    }
    claims["elm"][SDObj("displayParameter")] = elm["displayParameter"]
    header = {"typ": "dc+sd-jwt", "x5c": list(x5c)}

    def issue() -> str:
        made = SDJWTIssuer(
            claims, issuer_jwk, holder_jwk, "ES256", add_decoy_claims=True, extra_header_parameters=header
        )
        return str(made.sd_jwt_issuance)

    def issuer_key(iss: str, header: dict[str, Any]) -> Any:
        leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        return JWK.from_pyca(leaf.public_key())

    def verify(presentation: str) -> Any:
        return SDJWTVerifier(
            presentation, issuer_key, expected_aud=AUD, expected_nonce="n"
        ).get_verified_payload()

    return issue, verify


def importer(presentation: str, policy: VerifyPolicy) -> Callable[[], tuple[bytes, Received]]:
    """What the EMC does with a presented plain ELM credential, up to storing it: verify, convert to
    ELMO, match the learner (the sample's, Test Testesen), read the courses."""
    person = Person("bench", "Test", "Testesen", "demo", dt.date(1991, 1, 20))

    def run() -> tuple[bytes, Received]:
        verified = verify_presentation(presentation, policy)
        return convert(verified.elm, verified.summary(), person, IdentityPolicy())

    return run


def main() -> int:
    if not SAMPLE.is_file():
        print(f"the shared ELM sample is missing ({SAMPLE}); clone shared/ beside the project")
        return 2
    try:
        import sd_jwt  # noqa: F401
    except ImportError:
        print("the PyPI sd-jwt package is not installed (pip install -e '.[test]'); nothing to compare with")
        return 2
    ca = make_ca("Bench CA")
    issuer, _ = issue_certificate(ca, "Bench issuer", dns_names=["emc.example"])
    holder = signing_key(new_ec_key())
    elm = elm_of(COURSE_COUNT)
    credential = issue_elm_credential(elm, issuer, holder.public_jwk, issuer="https://emc.example")
    everything = present(credential, [("elm",)], holder=holder, audience=AUD, nonce="n")
    one = present(credential, [(*COURSES[:-1], 7)], holder=holder, audience=AUD, nonce="n")
    policy = VerifyPolicy(TrustAnchors((ca.certificate,)), audience=AUD, nonce="n")
    their_issue, their_verify = reference(elm, issuer, holder, issuer.x5c)
    # Both read the same things before anything is timed.
    assert verify_presentation(everything, policy).elm == elm
    assert verify_presentation(their_issue(), VerifyPolicy(policy.anchors)).elm == elm
    assert their_verify(everything)["elm"] == elm
    take = importer(everything, policy)
    _, received = take()
    assert received.identity.verdict is Verdict.MATCH and len(received.courses) == COURSE_COUNT
    issue = partial(issue_elm_credential, elm, issuer, holder.public_jwk, issuer="https://emc.example")
    size = len(everything)
    inf = float("inf")
    table = [
        Case(f"issue {COURSE_COUNT} courses", size, issue, RUNS, ISSUE_BUDGET_MS),
        Case("  sd-jwt (PyPI)", size, their_issue, RUNS, inf),
        Case(
            f"verify {COURSE_COUNT} of {COURSE_COUNT}",
            size,
            partial(verify_presentation, everything, policy),
            RUNS,
            VERIFY_BUDGET_MS,
        ),
        Case("  sd-jwt (PyPI)", size, partial(their_verify, everything), RUNS, inf),
        Case(f"import {COURSE_COUNT} (plain ELM)", size, take, RUNS, IMPORT_BUDGET_MS),
        Case(
            f"verify 1 of {COURSE_COUNT}",
            len(one),
            partial(verify_presentation, one, policy),
            RUNS,
            VERIFY_BUDGET_MS,
        ),
    ]
    for round_ in range(ROUNDS):
        pending = [case for case in table if not case.ok or not case.medians]
        if not pending:
            break
        if round_:
            time.sleep(PAUSE_SECONDS)
        for case in pending:
            case.measure()
    print(f"{'case':<24}{'bytes':>11}{'median ms':>11}{'fastest':>9}{'budget ms':>11}{'host':>7}  result")
    missed = 0
    for case in table:
        reference_case = case.budget_ms == inf
        missed += not case.ok
        result = "reference" if reference_case else "ok" if case.ok else "OVER BUDGET"
        if len(case.medians) > 1 and not reference_case:
            result += f" (round {len(case.medians)})" if case.ok else f" (all {ROUNDS} rounds)"
        budget = "-" if reference_case else f"{case.budget_ms:.1f}"
        times = f"{case.median_ms:>11.2f}{case.fastest_ms:>9.2f}{budget:>11}"
        print(f"{case.name:<24}{case.size:>11,}{times}{case.host_factor:>6.2f}x  {result}")
    print("host: a fixed Python loop's slowdown during the window that counts (1.0x: the core was ours)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
