"""ELMO -> ELM conversion and EDC validation speed, each beside its reference in the same run.

Run: .venv/bin/python -m bench.elm_bench. Budgets on one core (median CPU time of this process):
convert 60 courses <= 10 ms and 1000 <= 150 ms (the ELMO model to the credential's JSON bytes; the
reference is writing the same model as ELMO XML with emrex.elmo); validate a 60-course credential
<= 300 ms (JSON-LD to triples, RDFS entailment, SHACL; shapes compiled beforehand, once per process; the
reference is pyshacl with RDFS inference on the same credential). The run also checks that our
verdicts equal pyshacl's on every ELM sample of ../shared/samples-elm. The shapes come from
$EMREX_ELM_SHAPES_DIR, else from ../shared/samples-elm laid out as 'emrex elm shapes fetch' would.
Exits 1 when a figure is over its budget or a verdict differs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from emrex.elm import Sealer, elm_to_elmo, elmo_to_elm, load_library, read_document, reference_validate
from emrex.elm.validate import validate_credential, verdicts
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo

SHARED = Path(os.environ.get("EMREX_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
SEALER = Sealer({"en": "Nordvik Credential Office"}, "SE", "NTRSE-2021002114")
CONVERT = {60: (10.0, 40), 1000: (150.0, 7)}  # courses -> (budget ms, repeats)
VALIDATE_BUDGET_MS = 300.0


def _median_cpu_ms(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        action()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def _shapes_dir(scratch: Path) -> Path:
    configured = os.environ.get("EMREX_ELM_SHAPES_DIR")
    if configured:
        return Path(configured)
    samples = SHARED / "samples-elm"
    target = scratch / "shapes"
    (target / "context").mkdir(parents=True)
    shutil.copy(samples / "elm-context" / "edc-ap-context.jsonld", target / "context")
    shutil.copytree(samples / "elm-shacl", target / "shapes")
    (target / "ontology").mkdir()
    shutil.copy(samples / "elm-ontology" / "ELM-3.2.ttl", target / "ontology" / "ELM.ttl")
    return target


def _row(case: str, ours: float, wall: float, budget: float | None, reference: str, status: str) -> None:
    shown = f"{budget:8.0f}" if budget is not None else f"{'':>8}"
    print(f"{case:<34} {ours:9.1f} {wall:9.1f} {shown} {reference:>16}  {status}")


def main() -> int:
    failed = False
    print(f"{'case':<34} {'cpu ms':>9} {'wall ms':>9} {'budget':>8} {'reference ms':>16}  status")
    for courses, (budget, repeat) in CONVERT.items():
        elmo = sample_elmo(courses)
        ours, wall = _median_cpu_ms(lambda elmo=elmo: elmo_to_elm(elmo, SEALER).to_json(), repeat)
        theirs, _ = _median_cpu_ms(lambda elmo=elmo: write_elmo(elmo), repeat)
        over = ours > budget
        failed |= over
        _row(
            f"convert ELMO->ELM, {courses} courses",
            ours,
            wall,
            budget,
            f"{theirs:.1f} (XML)",
            "OVER BUDGET" if over else "ok",
        )
        credential = json.loads(elmo_to_elm(elmo, SEALER).to_json())
        back, back_wall = _median_cpu_ms(lambda c=credential: elm_to_elmo(c), max(3, repeat // 4))
        _row(f"convert ELM->ELMO, {courses} courses", back, back_wall, None, "", "")
    with tempfile.TemporaryDirectory() as scratch:
        start = time.process_time()
        library = load_library(_shapes_dir(Path(scratch)))
        credential = json.loads(elmo_to_elm(sample_elmo(60), SEALER, original=b"<elmo/>").to_json())
        validate_credential(credential, library=library)  # compiles the shapes and the ontology once
        _row("load + compile shapes (once)", (time.process_time() - start) * 1000, 0.0, None, "", "")
        ours, wall = _median_cpu_ms(lambda: validate_credential(credential, library=library), 7)
        theirs, _ = _median_cpu_ms(lambda: reference_validate(credential, library=library), 1)
        over = ours > VALIDATE_BUDGET_MS
        failed |= over
        _row(
            "validate 60 courses",
            ours,
            wall,
            VALIDATE_BUDGET_MS,
            f"{theirs:.0f} (pyshacl)",
            "OVER BUDGET" if over else "ok",
        )
        samples = sorted((SHARED / "samples-elm").glob("*/*.json*"))
        same = 0
        for path in samples:
            if path.parent.name not in ("converter-dc4eu", "edc-examples") or "openapi" in path.name:
                continue
            document = read_document(path.read_bytes())
            assert document.credential is not None
            report = validate_credential(document.credential, library=library)
            conforms, reference = reference_validate(document.credential, library=library)
            if (report.conforms, verdicts(report)) == (conforms, reference):
                same += 1
            else:
                failed = True
                print(
                    f"  verdicts differ on {path.name}: ours {sorted(verdicts(report), key=str)[:3]} "
                    f"reference {sorted(reference, key=str)[:3]}"
                )
        print(f"verdicts equal to pyshacl (RDFS inference) on {same} ELM samples")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
