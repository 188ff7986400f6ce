"""compressed-tensors' own matching (`is_match`, `match_targets`), in .venv-llmc.

Reads a JSON list of {"name", "mro", "targets", "ignore"}; prints a JSON list of
{"is_match": bool, "targets": [...]} or {"error": "Type"} where matching raises.
Each MRO (class names, nearest first, ending in Module) becomes a chain of
torch Module classes of those names."""

from __future__ import annotations

import json
import sys
import warnings

warnings.filterwarnings("ignore")
_CLASSES: dict[tuple[str, ...], type] = {}


def module(mro: list[str]) -> object:
    import torch

    key = tuple(mro)
    if key not in _CLASSES:
        cls: type = torch.nn.Module
        for name in reversed(mro[:-1]):  # (the last is Module itself)
            cls = type(name, (cls,), {})
        _CLASSES[key] = cls
    return _CLASSES[key]()


def tree(modules: list) -> object:
    """A torch module tree of (name, mro) rows in named_modules() order."""
    root = module(modules[0][1])
    made = {"": root}
    for name, mro in modules[1:]:
        parent, _, leaf = name.rpartition(".")
        made[name] = module(mro)
        made[parent].add_module(leaf, made[name])
    return root


def sets(case: dict) -> dict:
    from compressed_tensors.utils.match import match_modules_set

    model = tree(case["modules"])
    names = {id(m): n for n, m in model.named_modules()}
    try:
        groups = list(match_modules_set(model, case["targets"]))
    except ValueError as exc:
        return {"error": str(exc).split(":")[0]}
    return {"groups": [[[names[id(m)] for m in g] for g in group] for group in groups]}


def main() -> None:
    from compressed_tensors.utils.match import is_match, match_targets

    out = []
    for case in json.load(sys.stdin):
        if "modules" in case:
            out.append(sets(case))
            continue
        m = module(case["mro"])
        try:
            out.append(
                {
                    "is_match": is_match(
                        case["name"], m, case["targets"], case["ignore"]
                    ),
                    "targets": match_targets(case["name"], m, case["targets"]),
                }
            )
        except Exception as exc:  # the engine's verdict, whatever it raised
            out.append({"error": type(exc).__name__})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
