"""Generated recipes for the differential test: our verdict against SparseML's.

One recipe per seed: an EpochRangeModifier and one modifier of any of the 26 tags,
written valid (`BASE`, on the parameter names of tests/sml_verdict.Net) and then
changed in one or two fields: a value from the field's own pool (right and wrong
types, boundaries, YAML 1.1 strings such as `1e-7`, `.5`, `yes`, `~`), a value any
field may meet, or the field left out; a number sometimes reaches its field through
an anchor or an `eval(...)` of a variable. Shared by tests/linter/test_differential.py
(bounded, in CI) and benchmarks/differential.py (thousands, with agreement per tag).
"""

from __future__ import annotations

import dataclasses
import random

from recipe_compiler.modifiers import REGISTRY

PRUNE = {
    "params": "[a.weight, b.weight]",
    "init_sparsity": "0.05",
    "final_sparsity": "0.5",
    "start_epoch": "0",
    "end_epoch": "2",
    "update_frequency": "0.5",
}
BASE: dict[str, dict[str, str]] = {
    "EpochRangeModifier": {"start_epoch": "0", "end_epoch": "4"},
    "GMPruningModifier": PRUNE,
    "MagnitudePruningModifier": PRUNE,
    "GlobalMagnitudePruningModifier": PRUNE,
    "MovementPruningModifier": PRUNE,
    "MFACPruningModifier": {**PRUNE, "num_grads": "4", "fisher_block_size": "8"},
    # more gradients than a Fisher block is wide, as real OBS recipes have: with
    # fewer, the block's inverse is singular or not by the gradients' values
    "OBSPruningModifier": {**PRUNE, "num_grads": "16", "fisher_block_size": "8"},
    "StructuredPruningModifier": {
        **{k: v for k, v in PRUNE.items() if k != "params"},
        "param_groups": "[[a.weight], [b.weight]]",
    },
    "ACDCPruningModifier": {
        "compression_sparsity": "0.5",
        "start_epoch": "0",
        "end_epoch": "2",
        "update_frequency": "1",
        "params": "[a.weight, b.weight]",
    },
    "RigLPruningModifier": {
        "final_sparsity": "0.5",
        "start_epoch": "0",
        "end_epoch": "2",
        "update_frequency": "0.5",
        "params": "[a.weight, b.weight]",
    },
    "TopKASTPruningModifier": {
        "forward_sparsity": "0.5",
        "backward_sparsity": "0.25",
        "start_epoch": "0",
        "end_epoch": "2",
        "update_frequency": "0.5",
        "params": "[a.weight, b.weight]",
    },
    "ConstantPruningModifier": {
        "params": "[a.weight]",
        "start_epoch": "0",
        "end_epoch": "3",
    },
    "LayerPruningModifier": {"layers": "[b]", "start_epoch": "1", "end_epoch": "3"},
    "LayerThinningModifier": {
        "param_group_dependency_map": "{'a.weight': [a.bias]}",
        "start_epoch": "1",
    },
    "PowerpropagationModifier": {
        "params": "[a.weight]",
        "start_epoch": "0",
        "end_epoch": "2",
    },
    "GradualParamModifier": {
        "params": "[a.bias]",  # 48 values: SparseML checks the shape at initialize
        "init_val": f"[{', '.join(['0.1'] * 48)}]",
        "final_val": f"[{', '.join(['0.2'] * 48)}]",
        "start_epoch": "0",
        "end_epoch": "2",
        "update_frequency": "0.5",
    },
    "SetParamModifier": {
        "params": "[a.bias]",
        "val": f"[{', '.join(['0.5'] * 48)}]",
        "start_epoch": "1",
    },
    "TrainableParamsModifier": {
        "params": "[a.weight]",
        "trainable": "false",
        "start_epoch": "0",
        "end_epoch": "2",
    },
    "SetLearningRateModifier": {"learning_rate": "0.05", "start_epoch": "1"},
    "LearningRateFunctionModifier": {
        "lr_func": "cosine",
        "init_lr": "0.1",
        "final_lr": "0.01",
        "start_epoch": "0",
        "end_epoch": "3",
    },
    "LearningRateModifier": {
        "lr_class": "StepLR",
        "lr_kwargs": "{step_size: 1, gamma: 0.5}",
        "init_lr": "0.1",
        "start_epoch": "0",
        "end_epoch": "3",
    },
    "SetWeightDecayModifier": {"weight_decay": "0.0001", "start_epoch": "1"},
    "QuantizationModifier": {"start_epoch": "2"},
    "DistillationModifier": {"start_epoch": "0", "end_epoch": "3"},
    "PerLayerDistillationModifier": {
        "start_epoch": "0",
        "end_epoch": "3",
        "student_layer_names": "[a]",
        "teacher_layer_names": "[a]",
    },
    "SparsificationLoggingModifier": {"start_epoch": "0", "end_epoch": "3"},
}

EPOCH = ["0", "1", "2", "3.5", "-1", "-2", "0.0", "1e0", ".5", ".nan", "'2'", "5"]
SPARSITY = [
    "0.0",
    "0",
    "0.5",
    "0.95",
    "1.0",
    "1",
    "-0.1",
    "1.5",
    ".5",
    "'0.5'",
    "__FROM_PARAM__",
    "{0.5: [a.weight], 0.8: [b.weight]}",
    "[0.5, 0.6]",
]
FREQUENCY = ["-1", "0", "0.5", "1", "-2", "1e-1", "2.0", "'1'"]
LR = ["0.1", "0", "0.0", "1.0", "1", "1.5", "-0.1", "1e-3", "1.0e-3", "'0.01'"]
FLOAT = ["0", "0.5", "1", "1.5", "-1", "1e-7", "1.0e-7", ".5", "'0.5'", "2"]
INT = ["1", "2", "4", "0", "-1", "8", "2.0", "'4'", "1e1"]
BOOL = ["true", "false", "yes", "no", "1", "0", "'true'", "on"]
PARAMS = [
    "[a.weight]",
    "a.weight",
    "__ALL_PRUNABLE__",
    "__ALL__",
    "[]",
    "null",
    "['re:[ab].weight']",
    "[a.weight, c.weight]",
    "[nope.weight]",
]
# What depends on the user's model, optimizer or integration, which lint does not
# see (issue 14), is not generated: the number of param groups (one here), a
# value's shape for SetParam and GradualParam, layer and module names that are not
# in the model, a calibration data loader for QAT, the grad sampler's arguments.
SHAPED = f"[{', '.join(['0.3'] * 48)}]"
VALUES = [SHAPED, "'x'", "null", "[]", "{}"]
CHOICES = {
    "inter_func": ["linear", "cubic", "inverse_cubic", "exponential", "'cubic'"],
    "mask_type": [
        "unstructured",
        "block4",
        "'2:4'",
        "tensorrt",
        "[1, 4]",
        "filter",
        "channel",
        "nope",
    ],
    "lr_func": ["linear", "cosine", "cyclic_linear", "step"],
    "lr_class": [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "CosineAnnealingWarmRestarts",
        "CosineLR",
    ],
    "lr_kwargs": [
        "{step_size: 1, gamma: 0.5}",
        "{gamma: 0.9}",
        "{milestones: [1, 2], gamma: 0.1}",
        "{milestones: [0, 9], gamma: 0.1}",
        "{lr_min: 0.001, cycle_epochs: 1}",
        "{lr_min: 0.001, cycle_epochs: 1.0}",
        "{}",
        "{step_size: 0.5, gamma: 0.5}",
        "{step_size: 1}",
    ],
    "score_type": ["magnitude", "movement"],
    "sparsity_strategy": ["erdos_renyi_kernel", "erdos_renyi", "uniform", "nope"],
    "structure_type": ["filter", "channel", "nope"],
    "grads_device": ["cpu", "0", "cuda"],
    "scheme": [
        "default",
        "deepsparse",
        "tensorrt",
        "nope",
        "null",
        "{weights: {num_bits: 8}}",
        "{weights: {strategy: nope}}",
    ],
    "model_fuse_fn_name": ["no_fuse", "conv_bn_relus"],
    "ignore": ["[Linear]", "[a]", "[]"],
    "scheme_overrides": ["{Linear: default}", "{a: default}"],
    "layers": ["[b]", "b", "[]", "[c, d]"],
    "student_layer_names": ["[a]", "[a, b]", "null", "[]"],
    "teacher_layer_names": ["[a]", "[a, b]", "null", "[]"],
    "param_groups": ["[0]", "[]", "null"],
    "val": VALUES,
    "init_val": VALUES,
    "final_val": VALUES,
    "num_calibration_steps": ["null"],
    "param_group_dependency_map": ["{'a.weight': [a.bias]}", "{}"],
    "update_epochs": ["[]", "null"],
    "distill_output_keys": ["[0]", "null"],
    "teacher_input_keys": ["[0]", "null"],
    "available_devices": ["[cpu]", "null"],
    "grad_sampler_kwargs": ["{}", "null"],
    "model_fuse_fn_kwargs": ["{}", "null"],
}
# fields whose right values depend on the model, optimizer or integration: only
# their own pool (model_fuse_fn_name may name any method of the user's module)
OWN_POOL_ONLY = {
    "val",
    "init_val",
    "final_val",
    "num_calibration_steps",
    "param_groups",
    "layers",
    "model_fuse_fn_name",
}
# the sparsity SparseML takes per pruned parameter when it is a sequence
PER_PARAMETER = {
    "MFACPruningModifier": "init_sparsity",
    "OBSPruningModifier": "init_sparsity",
    "ACDCPruningModifier": "compression_sparsity",
}
# values any field may meet
ANY = [
    "~",
    "null",
    "yes",
    "1e-7",
    ".5",
    "[]",
    "{}",
    "{0.5: [a.weight]}",
    "0",
    "1",
    "-1",
    "2",
    "''",
    "'x'",
    "[1, 2]",
]


def pool(tag: str, field: str) -> list[str]:
    """The values worth trying in one field of one modifier."""
    if field in CHOICES:
        return CHOICES[field]
    if field.endswith("epoch") or field == "cycle_epochs":
        return EPOCH
    if "sparsity" in field and field not in ("global_sparsity",):
        return SPARSITY
    if field == "update_frequency":
        return FREQUENCY
    if field.endswith("_lr") or field == "learning_rate":
        return LR
    if field == "params":
        if tag in ("SetParamModifier", "GradualParamModifier"):
            return ["[a.bias]", "[]", "null", "a.bias"]
        return PARAMS
    annotation = str(REGISTRY[tag].model_fields[field].annotation)
    if "bool" in annotation:
        return BOOL
    if "int" in annotation and "float" not in annotation:
        return INT
    return FLOAT


@dataclasses.dataclass(frozen=True)
class Case:
    seed: int
    tag: str
    changes: tuple[str, ...]  # "field=value", "-field", for a reader of a failure
    text: str


def generate(seed: int) -> Case:
    rng = random.Random(seed)
    tags = sorted(BASE)
    tag = tags[seed % len(tags)]  # every tag as often as the others
    fields = dict(BASE[tag])
    names = [f for f in REGISTRY[tag].model_fields if f != "log_types"]
    head: list[str] = []
    changes: list[str] = []
    written: dict[str, str] = {}  # the values changed, before anchors and eval
    for _ in range(rng.choice((1, 1, 2))):
        field = rng.choice(names)
        roll = rng.random()
        if roll < 0.12 and field in fields:
            del fields[field]
            changes.append(f"-{field}")
            continue
        own = roll < 0.8 or field in OWN_POOL_ONLY
        value = rng.choice(pool(tag, field) if own else ANY)
        written[field] = value
        through = rng.random()
        if through < 0.1:
            head.append(f"v{len(head)}: &v{len(head)} {value}")
            value = f"*v{len(head) - 1}"
        elif through < 0.2 and _numeric(value):
            head.append(f"v{len(head)}: {value}")
            value = f"eval(v{len(head) - 1})"
        fields[field] = value
        changes.append(f"{field}={value}")
    params = written.get("params", "[a.weight]")
    listed = params.startswith("[") and params != "[]" and "re:" not in params
    per_parameter = written.get(PER_PARAMETER.get(tag, ""), "").startswith(("[", "{"))
    if per_parameter and not listed:
        # one sparsity per parameter (MFAC, OBS, AC/DC), on params whose number
        # only the model knows (tokens, patterns): not generated
        fields["params"] = BASE[tag]["params"]
        changes.append(f"params={fields['params']}")
    if written.get("mask_type") == "block4" and "num_grads" in written:
        # OBS: block4 inverts 4x4 blocks of a Fisher inverse built from num_grads
        # gradients; with fewer than a Fisher block is wide, whether one is
        # singular depends on the gradients' values, which no recipe holds
        fields["num_grads"] = BASE[tag].get("num_grads", "16")
        changes.append(f"num_grads={fields['num_grads']}")
    if written.get("init_update_fraction", "").startswith("-"):
        # RigL: whether a negative fraction fails depends on the layer shapes
        # erdos_renyi scales by, the model's; with uniform, lint knows
        fields["sparsity_strategy"] = "uniform"
        changes.append("sparsity_strategy=uniform")
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    text = (
        "".join(f"{h}\n" for h in head)
        + "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n"
        + (f"  - !{tag}\n{body}" if tag != "EpochRangeModifier" else "")
    )
    if tag == "EpochRangeModifier":
        text = text.replace(
            "    start_epoch: 0\n    end_epoch: 4\n",
            body,
        )
    return Case(seed, tag, tuple(changes), text)


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
