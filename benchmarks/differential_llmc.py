"""The offline differential run of the llm-compressor dialect: generated recipes
through llm-compressor 0.14 (`Recipe.create_instance` in .venv-llmc) and through
our reader, which must agree on whether each loads, the modifiers in oneshot's
order and the recipe's stage, or on the engine's error word for word (its count of
validation errors included).

The recipes are tests/llmc/test_reader_oracle.py's (stages, groups, keys, bodies,
unknown and missing fields, values of every kind, scheme names). Prints the
outcomes, a table per modifier class (recipes naming it, how many the engine
loaded, how many it refused), every disagreement, and the CPU; exits 1 on one.

    python benchmarks/differential_llmc.py [N] [SEED]     (default 5,000, seed 1)
"""

from __future__ import annotations

import collections
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lint_speed import cpu  # noqa: E402 - the CPU, cores and ISA, as it says them


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    from recipe_compiler.dialects.llmcompressor.reader import read
    from recipe_compiler.loader import yamltree
    from recipe_compiler.loader.source import from_text
    from tests.conftest import LLMC_PYTHON, llmc_verdicts
    from tests.llmc.test_reader_oracle import _text, recipe

    if not LLMC_PYTHON.exists():
        sys.exit(f"{LLMC_PYTHON} is missing: `make test` builds .venv-llmc")

    rng = random.Random(seed)
    texts = [_text(recipe(rng)) for _ in range(n)]
    t = time.perf_counter()
    verdicts = llmc_verdicts([(f"r{i}.yaml", x) for i, x in enumerate(texts)])
    engine_s = time.perf_counter() - t
    outcomes: collections.Counter[str] = collections.Counter()
    per_class: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    wrong = []
    t = time.perf_counter()
    for text, got in zip(texts, verdicts, strict=True):
        ours = read(yamltree.parse(from_text(text, "r.yaml", "yaml")).root)
        refused = ours.refused
        if got["loads"]:
            agree = (
                refused is None
                and got["modifiers"] == [m.name for m in ours.modifiers]
                and got["stage"] == ours.stage
            )
            outcomes["loads" if got["modifiers"] else "loads, no modifier"] += 1
        else:
            agree = refused is not None and refused.error == got["error"]
            outcomes[refused.kind if refused else "refused: missed"] += 1
        if not agree:
            wrong.append((text, got, refused))
        for name in {str(k) for k in _named(text)}:
            per_class[name]["recipes"] += 1
            per_class[name]["loaded" if got["loads"] else "refused"] += 1
    ours_s = time.perf_counter() - t
    print(f"CPU: {cpu()}")
    print(
        f"{n} generated recipes (seed {seed}): llm-compressor {engine_s:.1f} s, "
        f"our reader {ours_s:.1f} s"
    )
    print("\noutcome (the engine's first error, by our reader's kind):")
    for kind, count in outcomes.most_common():
        print(f"  {kind:28} {count:6}")
    print(f"\n{'modifier named':34} {'recipes':>8} {'loaded':>8} {'refused':>8}")
    for name, c in sorted(per_class.items()):
        print(f"  {name:32} {c['recipes']:8} {c['loaded']:8} {c['refused']:8}")
    print(f"\ndisagreements: {len(wrong)}")
    for text, got, refused in wrong[:10]:
        print("---", got, refused, text, sep="\n")
    return 1 if wrong else 0


def _named(text: str) -> list[str]:
    """The modifier class names a generated recipe writes (keys inside groups)."""
    import yaml

    found: list[str] = []
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return found
    for stage in data.values():
        if not isinstance(stage, dict):
            continue
        for group in stage.values():
            if isinstance(group, dict):
                found += [k for k in group if isinstance(k, str) and k[:1].isupper()]
    return found


if __name__ == "__main__":
    raise SystemExit(main())
