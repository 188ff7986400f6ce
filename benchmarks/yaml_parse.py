"""The YAML parse under every lint: speed of each parser, and how often each
disagrees with the one SparseML runs.

SparseML reads a recipe with `yaml.safe_load`: PyYAML's pure-Python parser.
`yamltree` composes with libyaml (PyYAML's C parser) where `libyaml_agrees` says
the two read the same, else with the pure parser; until December 2026 it composed
with ruamel.yaml's round-trip parser. Prints ms per recipe for each (the bundled
recipes and the SparseML corpus), then, over N generated and mutated texts, how
often each path accepts what SparseML's parser refuses, refuses what it accepts, or
builds another tree.

    python benchmarks/yaml_parse.py [N]   (default 20000)
"""

from __future__ import annotations

import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import yaml  # noqa: E402
from lint_speed import cpu  # noqa: E402 - the CPU, cores and ISA, as it says them
from ruamel.yaml import YAML  # noqa: E402

from recipe_compiler.loader import source, yamltree  # noqa: E402
from tests.fuzzing import CORPUS, CORPUS_TEXTS  # noqa: E402
from tests.loader.test_yaml_parsers import SYMBOLS, dump  # noqa: E402


def ruamel(text: str) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return YAML(typ="rt", pure=True).compose(text)


def libyaml(text: str) -> object:
    return yaml.compose(text, Loader=yaml.CSafeLoader)


def pure(text: str) -> object:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def timed(parse, texts: list[str], rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for t in texts:
            parse(t)
        best = min(best, time.perf_counter() - t0)
    return best / len(texts) * 1000


def accepts(parse, text: str) -> bool:
    try:
        parse(text)
        return True
    except Exception:  # any refusal counts
        return False


def tree(text: str, fast: bool) -> object:
    saved = yamltree.libyaml_agrees
    if not fast:
        yamltree.libyaml_agrees = lambda _t: False
    try:
        parsed = yamltree.parse(source.from_text(text, "r.yaml", "yaml"))
    finally:
        yamltree.libyaml_agrees = saved
    return dump(parsed.root), [p.to_dict() for p in parsed.problems]


def generated(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            out.append("".join(rng.choice(SYMBOLS) for _ in range(rng.randint(0, 80))))
            continue
        chars = list(rng.choice(CORPUS_TEXTS))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars) + 1)
            if rng.random() < 0.4 and chars:
                del chars[at : at + rng.randint(1, 3)]
            else:
                chars[at:at] = rng.choice(SYMBOLS)
        out.append("".join(chars))
    return out


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print(f"CPU: {cpu()}")

    def readable(paths):
        texts = [source.read(p).yaml_text for p in sorted(paths)]
        return [t for t in texts if t and accepts(pure, t)]

    bundled = readable((ROOT / "recipes").glob("*.*"))
    corpus = readable(CORPUS.iterdir())
    print(f"ms per recipe (best of 5), {len(bundled)} bundled / {len(corpus)} corpus:")
    for name, parse in [
        ("ruamel.yaml round-trip (before)", ruamel),
        ("PyYAML pure (what SparseML runs)", pure),
        ("libyaml (PyYAML's C parser)", libyaml),
    ]:
        print(f"  {name:34} {timed(parse, bundled):6.2f} {timed(parse, corpus):6.2f}")
    texts = generated(n)
    fast = sum(yamltree.libyaml_agrees(t) for t in texts)
    counts = {"ruamel": [0, 0], "yamltree": [0, 0]}
    for t in texts:
        p = accepts(pure, t)
        r = accepts(ruamel, t)
        counts["ruamel"][0] += r and not p
        counts["ruamel"][1] += p and not r
        if yamltree.libyaml_agrees(t):
            c = accepts(libyaml, t)
            counts["yamltree"][0] += c and not p
            counts["yamltree"][1] += tree(t, True) != tree(t, False)
    print(f"{n} generated texts, {fast} on the libyaml path; against PyYAML pure:")
    r, y = counts["ruamel"], counts["yamltree"]
    print(f"  ruamel round-trip: accepts {r[0]} it refuses, refuses {r[1]} it accepts")
    print(
        f"  yamltree (libyaml, pure where they part): accepts {y[0]} it refuses, "
        f"another tree or problems for {y[1]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
