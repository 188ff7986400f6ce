"""Codes of the problems the loader finds itself (reading, YAML, variables, schema).

Lint rules that look at a loaded recipe live one per module in `lint/rules/`; the
loader's findings are listed here so that config, docs and SARIF see one catalogue.
Families: RC0xx reading and YAML, RC1xx structure and schema, RC2xx schedule,
RC3xx sparsity and learning-rate values, RC4xx variables and `eval(...)`, RC70x-RC71x
staged recipes as llm-compressor reads them, RC72x-RC74x as SparseML 1.8's
sparseml.core reads them. Codes are never reused.
"""

from __future__ import annotations

import dataclasses

from ..problems import Problem, Severity


@dataclasses.dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str

    @property
    def sparseml(self) -> tuple[str, ...]:
        return SPARSEML_FAILS.get(self.code, ())

    @property
    def engine(self) -> str:
        """The engine whose verdict an error of this code is."""
        if self.code in LLMC_FAILS:
            return "llm-compressor"
        return "sparseml.core" if self.code in CORE_FAILS else "sparseml"

    @property
    def fails(self) -> tuple[str, ...]:
        """Where that engine fails on it ("load: TypeError", ...)."""
        return LLMC_FAILS.get(self.code) or CORE_FAILS.get(self.code) or self.sparseml


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

LOADER_CODES: dict[str, Code] = {
    c.code: c
    for c in [
        Code("RC000", "unreadable-input", E, "The file cannot be read as a recipe."),
        Code("RC001", "yaml-syntax", E, "The YAML does not parse."),
        Code(
            "RC002",
            "missing-list-marker",
            E,
            "Modifiers listed without `- ` list markers.",
        ),
        Code(
            "RC003",
            "front-matter-missing",
            E,
            "A markdown recipe has no `---` front matter.",
        ),
        Code(
            "RC004",
            "front-matter-cut",
            W,
            "SparseML ends the front matter at a `---` inside a line.",
        ),
        Code(
            "RC005",
            "modifiers-after-front-matter",
            W,
            "Modifier tags after the front matter are never loaded.",
        ),
        Code(
            "RC006",
            "tag-line-with-dot",
            E,
            "A modifier tag on a line that contains a `.` is not recognised.",
        ),
        Code(
            "RC007",
            "file-extension",
            E,
            "SparseML only reads `.yaml` and `.md` recipe files.",
        ),
        Code(
            "RC008",
            "resource-limit",
            E,
            "The recipe passes one of recipe-compiler's limits (size, nesting, "
            "aliases, expressions); not a SparseML verdict.",
        ),
        Code(
            "RC009", "multiple-documents", E, "The YAML holds more than one document."
        ),
        Code("RC010", "duplicate-key", W, "A mapping repeats a key; the last wins."),
        Code("RC011", "unsupported-tag", E, "A YAML tag that is not a modifier."),
        Code(
            "RC012",
            "non-string-key",
            E,
            "A key SparseML uses as a name (top level, stage, modifier field, "
            "'*_kwargs') that is not a string.",
        ),
        Code(
            "RC013",
            "tag-after-key",
            E,
            "A modifier tag on the same line as its key (`key: !Tag`).",
        ),
        Code("RC101", "unknown-modifier", E, "The tag names no SparseML modifier."),
        Code("RC102", "unknown-field", E, "The modifier has no such field."),
        Code("RC103", "missing-field", E, "A required field is missing."),
        Code("RC104", "wrong-type", E, "A field has the wrong type."),
        Code("RC105", "invalid-value", E, "A field's value is not allowed."),
        Code("RC106", "no-modifiers", E, "No modifiers where SparseML looks for them."),
        Code(
            "RC107",
            "modifier-location",
            E,
            "Modifiers listed under a key without `modifiers` in its name.",
        ),
        Code(
            "RC108",
            "not-a-modifier",
            E,
            "An entry of a modifiers list is not a tagged modifier.",
        ),
        Code(
            "RC109",
            "top-level-list",
            E,
            "The recipe is a bare list; SparseML needs a mapping.",
        ),
        Code(
            "RC110",
            "untagged-recipe",
            W,
            "A new-framework (untagged) recipe: the legacy loader ignores it.",
        ),
        Code("RC201", "epoch-order", E, "end_epoch comes before start_epoch."),
        Code("RC202", "epoch-range", E, "An epoch below -1."),
        Code(
            "RC203",
            "end-epoch-disabled",
            E,
            "This modifier does not allow an end_epoch.",
        ),
        Code("RC204", "update-frequency-range", E, "update_frequency below -1."),
        Code(
            "RC301",
            "sparsity-range",
            E,
            "A sparsity outside the range SparseML accepts.",
        ),
        Code(
            "RC302",
            "lr-range",
            E,
            "A learning rate outside the range SparseML accepts.",
        ),
        Code(
            "RC401",
            "undefined-variable",
            E,
            "eval(...) uses a name that is not a numeric variable.",
        ),
        Code(
            "RC403",
            "unsupported-expression",
            E,
            "eval(...) uses syntax or a function SparseML does not evaluate.",
        ),
        Code(
            "RC404",
            "unary-minus",
            E,
            "eval(...) with a unary minus crashes SparseML 1.8.",
        ),
        Code(
            "RC405", "variable-cycle", E, "Variables depend on each other in a cycle."
        ),
        Code(
            "RC406",
            "eval-not-number",
            E,
            "eval(...) in a modifier does not give a number.",
        ),
        Code(
            "RC407",
            "eval-not-evaluated",
            W,
            "A string that looks like eval(...) but SparseML leaves as text.",
        ),
        Code(
            "RC701",
            "staged-not-a-mapping",
            E,
            "A staged recipe that is empty or not a mapping.",
        ),
        Code(
            "RC702",
            "staged-key-not-a-string",
            E,
            "A stage, group or field key that is not a string.",
        ),
        Code(
            "RC703",
            "modifier-arguments-not-a-mapping",
            E,
            "A modifier's arguments are empty or not a mapping.",
        ),
        Code(
            "RC704",
            "factory-keyword",
            E,
            "A field the modifier factory passes itself (`group`).",
        ),
        Code(
            "RC705",
            "unknown-staged-modifier",
            E,
            "llm-compressor has no modifier of that name.",
        ),
        Code(
            "RC706",
            "abstract-modifier",
            E,
            "`Modifier`, the base class, named as a modifier.",
        ),
        Code("RC707", "args-not-a-mapping", E, "`args` is not a mapping."),
        Code(
            "RC708",
            "awq-without-quantization",
            E,
            "AWQModifier with no quantizing modifier after it.",
        ),
        Code(
            "RC709",
            "ignored-stage",
            W,
            "A top-level key llm-compressor does not read as a stage.",
        ),
        Code(
            "RC710",
            "ignored-group",
            W,
            "A group of modifiers llm-compressor does not read.",
        ),
        Code(
            "RC711", "run-type-ignored", W, "`run_type`, which llm-compressor ignores."
        ),
        Code(
            "RC712",
            "no-staged-modifiers",
            W,
            "llm-compressor reads no modifier from the recipe.",
        ),
        Code(
            "RC713",
            "unknown-staged-field",
            E,
            "A field the llm-compressor modifier does not define.",
        ),
        Code(
            "RC714",
            "missing-staged-field",
            E,
            "A field the llm-compressor modifier requires is missing.",
        ),
        Code(
            "RC715",
            "wrong-staged-type",
            E,
            "A value of a type the llm-compressor modifier's field does not take.",
        ),
        Code(
            "RC716",
            "unknown-scheme",
            E,
            "A scheme name that is no compressed-tensors preset.",
        ),
        Code(
            "RC717",
            "invalid-scheme",
            E,
            "A quantization scheme (config_groups, kv_cache_scheme), targets, "
            "observer or scheme/config_groups pair llm-compressor refuses.",
        ),
        Code(
            "RC718",
            "refused-value",
            E,
            "A value llm-compressor's own validator refuses (SparseGPT's and "
            "Wanda's sparsity_profile, owl_m with owl_lmbda, mask_structure).",
        ),
        Code(
            "RC750",
            "target-matches-nothing",
            W,
            "A quantization target that matches no module of the --model LLM (or "
            "none a scheme is given to): nothing is quantized for it.",
        ),
        Code(
            "RC751",
            "ignore-matches-nothing",
            W,
            "An ignore entry that matches no module of the --model LLM.",
        ),
        Code(
            "RC752",
            "group-does-not-fit",
            E,
            "A weight group size that does not divide the columns of layers of the "
            "--model LLM: oneshot fails.",
        ),
        Code(
            "RC753",
            "mapping-fails",
            E,
            "A SmoothQuant or AWQ mapping that does not resolve to one smooth layer "
            "per group of balance layers in the --model LLM: oneshot fails.",
        ),
        Code(
            "RC754",
            "mapping-matches-nothing",
            W,
            "A SmoothQuant or AWQ mapping that matches no module of the --model LLM "
            "(or, for AWQ, none it quantizes or none of compatible shape): it "
            "smooths nothing.",
        ),
        Code(
            "RC755",
            "gate-quantized",
            W,
            "A mixture-of-experts gate of the --model LLM quantized by a broad "
            "target (vLLM expects gates unquantized).",
        ),
        Code(
            "RC756",
            "nm-mask-fails",
            E,
            "A SparseGPT or Wanda mask_structure N:M with N above M or M zero: "
            "oneshot fails pruning.",
        ),
        Code(
            "RC757",
            "nm-mask-does-not-fit",
            W,
            "A SparseGPT or Wanda mask_structure N:M that prunes every weight (N "
            "equal to M) or whose M does not divide a layer's columns.",
        ),
        Code(
            "RC758",
            "actorder-without-groups",
            W,
            "GPTQ's activation ordering saved on channel, tensor or block weights: "
            "vLLM builds with compressed-tensors before 0.17.1 refuse the checkpoint.",
        ),
        Code(
            "RC759",
            "kv-cache-applies-to-nothing",
            W,
            "A kv_cache_scheme on an LLM none of whose modules compressed-tensors "
            "takes for cached attention: no k/v scale is calibrated.",
        ),
        Code(
            "RC761",
            "kv-cache-fails",
            E,
            "A kv_cache_scheme on an LLM whose config gives no num_key_value_heads: "
            "oneshot fails initializing the kv cache.",
        ),
        Code(
            "RC760",
            "head-or-embedding-quantized",
            W,
            "lm_head or an embedding given a weight scheme: vLLM loads them "
            "unquantized from a compressed-tensors checkpoint.",
        ),
        Code(
            "RC720",
            "core-not-a-mapping",
            E,
            "A sparseml.core recipe that is empty or not a mapping.",
        ),
        Code(
            "RC721",
            "core-key-not-a-string",
            E,
            "A stage, group, modifier or field key that is not a string.",
        ),
        Code(
            "RC722",
            "core-modifiers-outside-a-stage",
            E,
            "Modifiers outside any stage, which sparseml.core cannot parse.",
        ),
        Code(
            "RC723",
            "core-stage-not-a-mapping",
            E,
            "A stage (or `stages:`) that is not a mapping.",
        ),
        Code(
            "RC724",
            "core-group-not-a-mapping",
            E,
            "A `<group>_modifiers` that is a list or not a mapping.",
        ),
        Code(
            "RC725",
            "core-stage-field",
            E,
            "A stage's run_type, enabled or args that sparseml.core refuses.",
        ),
        Code(
            "RC726",
            "core-modifier-entry",
            E,
            "A modifier entry sparseml.core cannot read (its name or arguments).",
        ),
        Code(
            "RC727",
            "core-empty-arguments",
            E,
            "A modifier without arguments, which sparseml.core refuses.",
        ),
        Code(
            "RC728",
            "core-eval-fails",
            E,
            "An eval(...) that sparseml.core fails to evaluate.",
        ),
        Code(
            "RC729",
            "core-start-end-not-a-number",
            E,
            "A start or end that is not a number once evaluated.",
        ),
        Code(
            "RC730",
            "core-unknown-modifier",
            E,
            "SparseML 1.8's sparseml.core has no modifier of that name.",
        ),
        Code(
            "RC731",
            "core-factory-keyword",
            E,
            "A field the modifier factory passes itself (`framework`).",
        ),
        Code(
            "RC732",
            "core-missing-field",
            E,
            "A field the sparseml.core modifier requires is missing.",
        ),
        Code(
            "RC733",
            "core-wrong-type",
            E,
            "A value of a type the sparseml.core modifier's field does not take.",
        ),
        Code(
            "RC734",
            "core-unknown-scheme-alias",
            E,
            "A LegacyQuantizationModifier scheme that is no alias.",
        ),
        Code(
            "RC735",
            "core-step-crash",
            E,
            "A train stage's step at which a sparseml.core modifier raises.",
        ),
        Code(
            "RC740",
            "core-ignored-stage",
            W,
            "A top-level key that looks like a stage, kept as a recipe arg.",
        ),
        Code(
            "RC741",
            "core-ignored-stage-key",
            W,
            "A key in a stage that sparseml.core ignores.",
        ),
        Code(
            "RC742",
            "core-stage-key-no-effect",
            W,
            "`enabled` or `exclude_default`, which sparseml.core never reads.",
        ),
        Code(
            "RC743",
            "core-ignored-field",
            W,
            "A field the sparseml.core modifier does not define (dropped).",
        ),
        Code(
            "RC744",
            "core-state-field",
            W,
            "A modifier's own state field (`initialized_`...) set by the recipe.",
        ),
        Code(
            "RC745",
            "core-no-modifiers",
            W,
            "sparseml.core reads no modifier from the recipe.",
        ),
    ]
}


# Where llm-compressor 0.14 fails on what each RC7xx error finds: "load"
# (`Recipe.create_instance`), with the exception it raises; each proven by a case
# in tests/linter/rules/cases run through the engine (tests/llmc/test_evidence.py).
LLMC_FAILS: dict[str, tuple[str, ...]] = {
    "RC701": ("load: AttributeError",),
    "RC702": ("load: AttributeError", "load: TypeError"),
    "RC703": ("load: AttributeError",),
    "RC704": ("load: TypeError",),
    "RC705": ("load: ValueError",),
    "RC706": ("load: TypeError",),
    "RC707": ("load: ValidationError",),
    "RC708": ("load: ValidationError",),
    "RC713": ("load: ValidationError",),
    "RC714": ("load: ValidationError",),
    "RC715": ("load: ValidationError",),
    "RC716": ("load: ValidationError",),
    "RC717": (
        "load: ValidationError",
        "load: TypeError",
        "load: NotImplementedError",
    ),
    "RC718": ("load: ValidationError", "load: AttributeError"),
    "RC752": ("oneshot: ValueError", "oneshot: RuntimeError"),
    "RC753": ("oneshot: RuntimeError", "oneshot: ValueError"),
    "RC756": ("oneshot: RuntimeError", "oneshot: ZeroDivisionError"),
    "RC761": ("oneshot: ValueError",),
}


# Where SparseML 1.8's sparseml.core fails on what each RC72x/RC73x error finds:
# "load" (`Recipe.create_instance`) or "build" (what a session does before
# training: `check_compile_recipe` evaluates, `create_modifier` builds each
# modifier), with the exception it raises; each proven by a case in
# tests/linter/rules/cases run through the engine (tests/sparseml_core/).
CORE_FAILS: dict[str, tuple[str, ...]] = {
    "RC720": ("load: AttributeError", "load: TypeError"),
    "RC721": ("load: AttributeError", "load: ValidationError"),
    "RC722": ("load: KeyError",),
    "RC723": ("load: TypeError", "load: ValidationError"),
    "RC724": ("load: AttributeError",),
    "RC725": ("load: ValidationError",),
    "RC726": ("load: ValidationError",),
    "RC727": ("build: ValueError",),
    "RC728": ("build: NameError", "build: ValueError", "build: ZeroDivisionError"),
    "RC729": ("build: TypeError",),
    "RC730": ("build: ValueError",),
    "RC731": ("build: TypeError",),
    "RC732": ("build: ValidationError",),
    "RC733": ("build: ValidationError",),
    "RC734": ("build: ValueError",),
    "RC735": ("step: RuntimeError", "step: TypeError"),
}


# Where SparseML 1.8 fails on what each error code finds: "load" (`from_yaml`),
# "initialize" (`manager.initialize` on a model with the recipe's parameters) or
# "step" (a training step), with the exception it raises. Every entry is proven by
# a case in tests/linter/rules/cases that raises exactly there
# (tests/linter/rules/test_evidence.py).
# "limit" is not a verdict on the recipe: recipe-compiler stops at its own bounds
# (docs/security.md), where SparseML may well load the recipe.
SPARSEML_FAILS: dict[str, tuple[str, ...]] = {
    "RC000": (
        "load: FileNotFoundError",
        "load: IsADirectoryError",
        "load: ReaderError",
        "load: UnicodeDecodeError",
    ),
    "RC001": (
        "load: ParserError",
        "load: ScannerError",
    ),
    "RC002": ("load: ParserError",),
    "RC003": ("load: RuntimeError",),
    "RC006": ("load: ConstructorError",),
    "RC007": ("load: ValueError",),
    "RC008": ("limit",),
    "RC009": ("load: ComposerError",),
    "RC011": ("load: ConstructorError",),
    "RC012": (
        "initialize: TypeError",
        "load: TypeError",
        "load: ValidationError",
        "load: ValueError",
        "step: TypeError",
    ),
    "RC013": ("load: ScannerError",),
    "RC101": ("load: ConstructorError",),
    "RC102": ("load: TypeError",),
    "RC103": (
        "load: TypeError",
        "load: ValueError",
    ),
    "RC104": (
        "initialize: AttributeError",
        "initialize: RuntimeError",
        "initialize: TypeError",
        "initialize: ValueError",
        "load: AttributeError",
        "load: TypeError",
        "load: ValueError",
        "step: AssertionError",
        "step: IndexError",
        "step: RuntimeError",
        "step: TypeError",
        "step: ValueError",
    ),
    "RC105": (
        "initialize: AssertionError",
        "initialize: ValueError",
        "load: AssertionError",
        "load: ValidationError",
        "load: ValueError",
        "step: AttributeError",
        "step: IndexError",
        "step: KeyError",
        "step: NotImplementedError",
        "step: RuntimeError",
        "step: TypeError",
        "step: ValueError",
        "step: ZeroDivisionError",
    ),
    "RC106": (
        "load: TypeError",
        "load: ValueError",
    ),
    "RC107": ("load: ValueError",),
    "RC108": ("load: AttributeError",),
    "RC109": ("load: AttributeError",),
    "RC201": ("load: ValueError",),
    "RC202": (
        "load: OverflowError",
        "load: ValueError",
    ),
    "RC203": ("load: ValueError",),
    "RC204": ("load: ValueError",),
    "RC301": ("load: ValueError",),
    "RC302": ("load: ValueError",),
    "RC401": ("load: UnknownVariableException", "load: RuntimeError"),
    "RC403": ("load: RuntimeError",),
    "RC404": ("load: AttributeError",),
    "RC405": ("load: RuntimeError",),
    "RC406": ("load: RuntimeError",),
}


def make(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str,
    hint: str | None = None,
) -> Problem:
    """A loader Problem with the code's default severity."""
    return Problem(
        path=path,
        line=max(1, line),
        column=max(1, column),
        code=code,
        severity=LOADER_CODES[code].severity,
        message=message,
        hint=hint,
    )
