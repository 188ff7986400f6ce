"""Every Problem's line points at the offending node of the original file, .md included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import from_source

FAULTS = {
    # field line to inject -> code expected at that line
    "end_epoch: 5": None,
    "end_epoch: -3": "RC202",
    "bogus: 5": "RC102",
    "end_epoch: eval(nope)": "RC401",
    "end_epoch: eval(pow(2, 2))": "RC403",
    "end_epoch: five": "RC104",
}


@st.composite
def recipes(draw):
    n_vars = draw(st.integers(0, 4))
    fault = draw(st.sampled_from(sorted(FAULTS)))
    lines = [f"v{i}: {i}  # variable {i}" for i in range(n_vars)]
    lines += draw(st.sampled_from([[], ["", "# comment"], ["version: 1.1.0"]]))
    lines += ["modifiers:"]
    n_mods = draw(st.integers(1, 4))
    target = draw(st.integers(0, n_mods - 1))
    indent = draw(st.sampled_from(["  ", "    "]))
    fault_line = None
    for i in range(n_mods):
        lines.append(f"{indent}- !EpochRangeModifier")
        lines.append(f"{indent}  start_epoch: 0")
        if i == target and fault.startswith("bogus"):
            lines.append(f"{indent}  end_epoch: {i + 1}")
            fault_line = len(lines) + 1
            lines.append(f"{indent}  {fault}")
        elif i == target:
            fault_line = len(lines) + 1
            lines.append(f"{indent}  {fault}")
        else:
            lines.append(f"{indent}  end_epoch: {i + 1}")
        if draw(st.booleans()):
            lines.append("")
    text = "\n".join(lines) + "\n"
    md = draw(st.booleans())
    if md:
        head = draw(st.sampled_from(["", "<!-- licence -->\n", "\n\n"]))
        prefix = head + "---\n"
        text = prefix + text + "---\n# card\n\nBody text.\n"
        fault_line += prefix.count("\n")
    return text, md, fault, fault_line


@settings(max_examples=200, deadline=None)
@given(recipes())
def test_problem_lines_point_at_the_fault(case):
    text, md, fault, fault_line = case
    src = source.from_text(text, "r.md" if md else "r.yaml", "md" if md else "yaml")
    problems = lint_recipe(from_source(src)).problems
    expected = FAULTS[fault]
    errors = [p for p in problems if p.severity == "error"]
    if expected is None:
        assert errors == []
        return
    assert [p.code for p in errors] == [expected]
    (p,) = errors
    assert p.line == fault_line
    line = text.split("\n")[p.line - 1]
    key, _, value = fault.partition(": ")
    col = line.index(key) + 1 if expected == "RC102" else line.index(value) + 1
    if expected == "RC401":  # at the undefined name inside eval(...)
        col = line.index(value) + len("eval(") + 1
    assert p.column == col
