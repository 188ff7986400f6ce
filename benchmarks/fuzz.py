"""The long fuzz run: 10,000+ hostile and recipe-like inputs through load, lint, plan
and rescale. Prints how many ran, the slowest input's time and the peak memory.

    python benchmarks/fuzz.py [N]        (default 12,000: 4 generators x 3,000)
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzzing import check, check_bytes, mutated_corpus, recipe_like  # noqa: E402

stats = {"n": 0, "slowest": 0.0, "slowest_input": "", "problems": 0}


def timed(fn, value, *args) -> None:
    t = time.perf_counter()
    out = fn(value, *args)
    dt = time.perf_counter() - t
    stats["n"] += 1
    stats["problems"] += out or 0
    if dt > stats["slowest"]:
        stats["slowest"], stats["slowest_input"] = dt, repr(value)[:120]
        (ROOT / "artifacts").mkdir(exist_ok=True)
        (ROOT / "artifacts" / "fuzz-slowest.txt").write_text(repr(value))
    if stats["n"] % 1000 == 0:
        print(
            f"  {stats['n']:,} inputs, slowest so far {stats['slowest'] * 1000:.0f} ms",
            file=sys.stderr,
        )


def main(per: int) -> None:
    opts = settings(
        max_examples=per,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    t0 = time.perf_counter()
    given(recipe_like(), st.sampled_from(["f.md", "f.yaml"]))(
        opts(lambda text, name: timed(check, text, name))
    )()
    given(mutated_corpus())(opts(lambda text: timed(check, text, "f.md")))()
    given(st.binary(max_size=4000))(opts(lambda data: timed(check_bytes, data)))()
    given(st.text(max_size=2000))(opts(lambda text: timed(check, text, "f.yaml")))()
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"inputs run:        {stats['n']:,} (no exception escaped, every check held)")
    print(f"problems reported: {stats['problems']:,}")
    print(
        f"total time:        {total:.1f} s ({total / stats['n'] * 1000:.2f} ms an input)"
    )
    print(
        f"slowest input:     {stats['slowest'] * 1000:.0f} ms: {stats['slowest_input']}"
    )
    print(f"peak memory (RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) // 4 if len(sys.argv) > 1 else 3000)
