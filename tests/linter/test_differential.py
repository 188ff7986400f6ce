"""Our verdict equals SparseML's on generated recipes of every modifier tag.

tests/differential.py writes them (seeded, so a failure names its seed);
tests/sml_verdict.py runs each through SparseML's load, initialize and every
training step of its schedule; lint runs at the same steps per epoch. `error`
exactly when SparseML raises somewhere: a recipe SparseML runs gets no error, and
nothing SparseML refuses goes without one. A bounded run here; benchmarks/
differential.py runs thousands and prints agreement per tag.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import lint_text
from tests.differential import BASE, Case, generate
from tests.sml_verdict import STEPS_PER_EPOCH, verdict

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)


@dataclasses.dataclass(frozen=True)
class Outcome:
    case: Case
    sparseml: str  # "" when it runs
    message: str
    ours: tuple[str, ...]  # our error codes

    crash: str = ""  # our lint raised: a traceback is never an answer

    @property
    def kind(self) -> str:
        if self.crash:
            return "lint crashed"
        if self.ours and not self.sparseml:
            return "false error"
        if self.sparseml and not self.ours:
            return "missed"
        return "fails" if self.sparseml else "runs"

    def record(self) -> dict[str, object]:
        return {
            "seed": self.case.seed,
            "tag": self.case.tag,
            "changes": list(self.case.changes),
            "kind": self.kind,
            "sparseml": self.sparseml,
            "message": self.message,
            "ours": list(self.ours) or ([self.crash] if self.crash else []),
            "text": self.case.text,
        }


def compare(case: Case) -> Outcome:
    got = verdict(case.text, "recipe.yaml", STEPS_PER_EPOCH)
    assert not got.cut, case  # the generated schedules are short
    try:
        _, problems = lint_text(
            case.text, "recipe.yaml", steps_per_epoch=STEPS_PER_EPOCH
        )
    except Exception as exc:  # recorded as a disagreement
        return Outcome(case, str(got), got.message, (), f"{type(exc).__name__}: {exc}")
    ours = tuple(sorted({p.code for p in problems if p.severity == "error"}))
    return Outcome(case, str(got), got.message, ours)


def test_the_bases_run_in_sparseml_and_lint_clean(sparseml):
    """Each tag's valid base (no change) runs: the generated cases start from
    recipes SparseML accepts, so a failure is the change's."""
    for tag in sorted(BASE):
        case = dataclasses.replace(generate(0), tag=tag)
        fields = "".join(f"    {k}: {v}\n" for k, v in BASE[tag].items())
        text = (
            "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n"
            + (f"  - !{tag}\n{fields}" if tag != "EpochRangeModifier" else "")
        )
        outcome = compare(dataclasses.replace(case, changes=(), text=text))
        assert outcome.kind == "runs", outcome.record()


@pytest.mark.parametrize("seed", range(0, 26 * 8))
def test_generated_verdicts_match_sparseml(sparseml, seed):
    outcome = compare(generate(seed))
    assert outcome.kind in ("runs", "fails"), outcome.record()
