"""The long fuzzing run: the ELMO reader (and writer) and the EMC's return endpoint, in process.

Run: .venv/bin/python -m bench.fuzz --inputs 100000 [--seed N] [--target both|reader|return]
Inputs are mutations of valid documents (bytes flipped, replaced, inserted, cut, spliced) and
structure-aware edits of their trees (elements dropped, cloned, moved, renamed, re-texted, nested
deeply); the return endpoint also gets edited-then-signed documents (which pass the signature check
and reach the reader, identity match, storage and transfer page), signed-then-edited ones, damaged
transport values and odd form fields. With --target both, a fifth of the inputs go to the endpoint.
Prints inputs tried, outcomes, failures and throughput; exits 1 on any failure (budget: none).
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.fuzzing.targets import Tally, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; a run is reproducible from it")
    parser.add_argument("--target", choices=("both", "reader", "return"), default="both")
    parser.add_argument("--return-share", type=float, default=0.2, help="share of the endpoint with both")
    args = parser.parse_args(argv)
    if args.inputs < 1 or not 0 <= args.return_share <= 1:
        parser.error("--inputs must be positive and --return-share from 0 to 1")
    plan = {"reader": args.inputs, "return": 0}
    if args.target == "return":
        plan = {"reader": 0, "return": args.inputs}
    elif args.target == "both":
        plan["return"] = round(args.inputs * args.return_share)
        plan["reader"] = args.inputs - plan["return"]
    failures: list[str] = []
    total = 0
    started = time.perf_counter()
    for target, count in plan.items():
        if not count:
            continue
        t0 = time.perf_counter()

        def progress(tally: Tally, target: str = target, t0: float = t0) -> None:
            rate = tally.tried / (time.perf_counter() - t0)
            print(
                f"  {target}: {tally.tried} inputs, {len(tally.failures)} failures, {rate:.0f}/s", flush=True
            )

        tally = run(target, count, args.seed, progress)
        elapsed = time.perf_counter() - t0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items()))
        print(
            f"{target}: {tally.tried} inputs in {elapsed:.1f} s ({tally.tried / elapsed:.0f}/s), "
            f"{len(tally.failures)} failures; outcomes: {outcomes}",
            flush=True,
        )
        failures += tally.failures
        total += tally.tried
    elapsed = time.perf_counter() - started
    print(f"total: {total} inputs in {elapsed:.1f} s ({total / elapsed:.0f}/s), {len(failures)} failures")
    for line in failures[:50]:
        print("FAILURE", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
