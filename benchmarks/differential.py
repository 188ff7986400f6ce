"""The offline differential run: generated recipes through SparseML 1.8 and our lint.

For each seed, tests/differential.py writes a recipe (an EpochRangeModifier and one
of the 26 modifier tags, one or two fields changed); SparseML loads it, initializes
it on a model with the recipe's parameter names and trains through its schedule
(tests/sml_verdict.py); our lint runs at the same steps per epoch. A disagreement is
an error SparseML does not raise (false error) or a SparseML failure we call no
error (missed). Prints agreement per tag and every disagreement, and writes them to
artifacts/differential.json.

    NM_DISABLE_ANALYTICS=1 python benchmarks/differential.py [N] [FIRST_SEED]
    (default 5,200 recipes: 200 per tag)
"""

from __future__ import annotations

import collections
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")

from lint_speed import cpu  # noqa: E402 - the CPU, cores and ISA, as it says them


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_200
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    logging.disable(logging.CRITICAL)
    from tests.differential import generate
    from tests.linter.test_differential import compare

    os.chdir(tempfile.mkdtemp())  # SparseML writes sparse_logs/ where it runs
    per_tag: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    disagreements = []
    start = time.perf_counter()
    for i, seed in enumerate(range(first, first + n), 1):
        case = generate(seed)
        outcome = compare(case)
        per_tag[case.tag][outcome.kind] += 1
        if outcome.kind in ("false error", "missed", "lint crashed"):
            disagreements.append(outcome.record())
        if i % 200 == 0:
            print(
                f"  {i:,}/{n:,} recipes, {len(disagreements)} disagreements, "
                f"{time.perf_counter() - start:.0f} s",
                file=sys.stderr,
            )
    print(
        f"{n:,} generated recipes (seeds {first}..{first + n - 1}), "
        f"{time.perf_counter() - start:.0f} s on {cpu()}"
    )
    print(
        f"{'tag':34} {'n':>5} {'runs':>5} {'fails':>5} {'false err':>9} "
        f"{'missed':>6} {'crashed':>7}"
    )
    for tag in sorted(per_tag):
        c = per_tag[tag]
        total = sum(c.values())
        print(
            f"{tag:34} {total:5} {c['runs']:5} {c['fails']:5} "
            f"{c['false error']:9} {c['missed']:6} {c['lint crashed']:7}"
        )
    for d in disagreements[:40]:
        print(f"\nseed {d['seed']} {d['tag']} {d['changes']}: {d['kind']}")
        print(f"  SparseML: {d['sparseml'] or 'runs'}  {d['message'][:160]}")
        print(f"  ours: {d['ours']}")
    out = ROOT / "artifacts" / "differential.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(disagreements, indent=1))
    print(f"\n{len(disagreements)} disagreements (artifacts/differential.json)")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
