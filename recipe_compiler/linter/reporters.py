"""Output formats of `recipe lint`, all built from `Problem.to_dict()`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..problems import Problem
from .config import all_codes

DOCS = "https://github.com/recipe-compiler/recipe-compiler/blob/main/docs/rules.md"


def text(problems: Sequence[Problem], checked: int) -> str:
    lines = [p.described() for p in problems]
    counts = {
        s: sum(1 for p in problems if p.severity == s)
        for s in ("error", "warning", "info")
    }
    summary = ", ".join(
        f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n
    )
    lines.append(
        f"{checked} recipe{'s' if checked != 1 else ''} checked: "
        + (summary or "no problems")
    )
    return "\n".join(lines) + "\n"


def skipped_note(skipped: int) -> str:
    """`(2 YAML files without modifiers skipped)`: what a folder walk passed
    over, so a recipe that was not linted is never silently missing."""
    files = f"{skipped} YAML file{'s' if skipped != 1 else ''}"
    return f"({files} without modifiers skipped)"


def suppressed_note(hidden: Sequence[Problem]) -> str:
    """`(3 suppressed: RC221 x2, RC224 x1)`: what the config and `# recipe:
    disable=` comments hid, so "no problems" never hides that they did."""
    counts: dict[str, int] = {}
    for p in hidden:
        counts[p.code] = counts.get(p.code, 0) + 1
    listed = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
    by = "config, --select/--ignore or # recipe: disable="
    return f"({len(hidden)} suppressed by {by}: {listed})"


def as_json(problems: Sequence[Problem], checked: int) -> str:
    import json

    return json.dumps([p.to_dict() for p in problems], indent=2) + "\n"


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(problems: Sequence[Problem], checked: int) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for p in problems:
        msg = p.message + (f" (hint: {p.hint})" if p.hint else "")
        out.append(
            f"::{level[p.severity.value]} file={_escape(p.path, True)},line={p.line},"
            f"col={p.column},title={p.code}::{_escape(msg)}"
        )
    return "\n".join(out) + ("\n" if out else "")


def sarif(problems: Sequence[Problem], checked: int) -> str:
    catalogue = all_codes()
    used = sorted({p.code for p in problems})
    level = {"error": "error", "warning": "warning", "info": "note"}
    rules = [
        {
            "id": code,
            "name": catalogue[code][0],
            "shortDescription": {"text": catalogue[code][2]},
            "defaultConfiguration": {"level": level[catalogue[code][1].value]},
            "helpUri": f"{DOCS}#{code.lower()}",
        }
        for code in used
        if code in catalogue
    ]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for p in problems:
        result = {
            "ruleId": p.code,
            "ruleIndex": index.get(p.code, 0),
            "level": level[p.severity.value],
            "message": {"text": p.message + (f" Hint: {p.hint}" if p.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": p.path},
                        "region": {"startLine": p.line, "startColumn": p.column},
                    }
                }
            ],
        }
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "recipe-compiler",
                        "informationUri": DOCS,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    import json

    return json.dumps(doc, indent=2) + "\n"


REPORTERS: dict[str, Callable[[Sequence[Problem], int], str]] = {
    "text": text,
    "json": as_json,
    "github": github,
    "sarif": sarif,
}
