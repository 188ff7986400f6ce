"""The offline differential run of the sparseml-core dialect: generated staged
recipes through SparseML 1.8's sparseml.core (load with `Recipe.create_instance`,
then what a session does before training: evaluate and build every modifier) and
through our reader, which must agree on whether each loads, whether it builds,
the modifiers built, and the engine's exception (at load the one that stops it
first, at build the first modifier's).

The recipes are tests/sparseml_core/generate.py's (stages, `stages:`, groups,
keys, entries, args and eval(...), fields valid and mutated). Prints the
outcomes, a table per modifier class (recipes naming it, how many the engine
built, how many it refused at load and at build), every disagreement, and the
CPU; exits 1 on one.

    python benchmarks/differential_core.py [N] [SEED]     (default 5,000, seed 1)
"""

from __future__ import annotations

import collections
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
    import yaml

    from recipe_compiler.dialects.sparsemlcore.reader import read
    from recipe_compiler.loader import yamltree
    from recipe_compiler.loader.source import from_text
    from tests.conftest import core_verdicts
    from tests.sparseml_core.generate import recipes

    texts = recipes(n, seed)
    t = time.perf_counter()
    verdicts = core_verdicts([(f"r{i}.yaml", x) for i, x in enumerate(texts)])
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
        loads = refused is None or refused.step != "load"
        agree = (loads, refused is None) == (got["loads"], got["builds"])
        if agree and refused is None:
            built = [m.removesuffix("PyTorch") for m in got["modifiers"]]
            agree = built == [m.name for m in ours.modifiers]
            outcomes["builds" if built else "builds, no modifier"] += 1
        elif agree and refused is not None:
            agree = refused.error.split(":")[0] == got["error"].split(":")[0]
            outcomes[f"{refused.step}: {refused.kind}"] += 1
        if not agree:
            wrong.append((text, got, refused))
        step = (
            "built" if got["builds"] else "at load" if not got["loads"] else "at build"
        )
        for name in set(_named(yaml.safe_load(text))):
            per_class[name]["recipes"] += 1
            per_class[name][step] += 1
    ours_s = time.perf_counter() - t
    print(f"CPU: {cpu()}")
    print(
        f"{n} generated recipes (seed {seed}): sparseml.core {engine_s:.1f} s, "
        f"our reader {ours_s:.1f} s"
    )
    print("\noutcome (the engine's verdict, by our reader's kind):")
    for kind, count in outcomes.most_common():
        print(f"  {kind:36} {count:6}")
    print(
        f"\n{'modifier named':34} {'recipes':>8} {'built':>8} {'at load':>8} "
        f"{'at build':>9}"
    )
    for name, c in sorted(per_class.items()):
        print(
            f"  {name:32} {c['recipes']:8} {c['built']:8} {c['at load']:8} "
            f"{c['at build']:9}"
        )
    print(f"\ndisagreements: {len(wrong)}")
    for text, got, refused in wrong[:10]:
        print("---", got, refused, text, sep="\n")
    return 1 if wrong else 0


def _named(data: object) -> list[str]:
    """The modifier class names a generated recipe writes (keys inside groups)."""
    found: list[str] = []
    if not isinstance(data, dict):
        return found
    stages = [v for k, v in data.items() if isinstance(k, str) and k.endswith("_stage")]
    if isinstance(data.get("stages"), dict):
        stages += list(data["stages"].values())
    for stage in stages:
        if not isinstance(stage, dict):
            continue
        for key, group in stage.items():
            if (
                isinstance(key, str)
                and key.endswith("_modifiers")
                and isinstance(group, dict)
            ):
                found += [str(k) for k in group]
    return found


if __name__ == "__main__":
    raise SystemExit(main())
