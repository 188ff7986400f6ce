"""`recipe doctor`: the environment a recipe will run in, without running anything.

What a sparse model buys depends on the CPU and the engine, and most "my INT8 model
is slower" reports are about the machine, not the recipe. This gathers, cheaply and
offline: Python and the runner's packages (read from their metadata, never
imported), the CPU and the ISA features DeepSparse's speed turns on (read from the
OS), what DeepSparse 1.8 says about FP32, INT8 and sparsity on such a CPU (its
`print_hardware_capability` verdicts, derived from the same features), whether
analytics are off, and the compat fixes the runner applies. `report()` is a plain
dict: the JSON keys are documented in docs/doctor.md and checked by a test.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from typing import Any

from .hardware.cpu import CPU, detect

# the runner extra: package -> the version range it is tested with
RUNNER = {
    "sparseml": "==1.8.0",
    "sparsezoo": "==1.8.0",
    "deepsparse": "==1.8.0",
    "torch": "==2.13.0",
    "onnx": "<1.15",
    "onnxruntime": "",
    # deepsparse[server], for `recipe serve`, and the deploy folder's image decoding
    "fastapi": "<0.111",
    "uvicorn": "",
    "python-multipart": "",
    "pillow": "",
}
OPTIONAL = ("pygls",)  # `recipe lsp`


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _satisfies(version: str | None, spec: str) -> bool:
    if version is None:
        return False
    if spec.startswith("=="):
        return version.split("+")[0] == spec[2:]
    if spec.startswith("<"):
        want = [int(p) for p in spec[1:].split(".")]
        have = [
            int(p) for p in version.split("+")[0].split(".")[: len(want)] if p.isdigit()
        ]
        return have < want
    return True


def deepsparse_says(cpu: CPU) -> dict[str, Any]:
    """DeepSparse 1.8's verdicts for this CPU, as `deepsparse.cpu.
    print_hardware_capability` words them (derived from the same ISA features)."""
    f = cpu.features
    x86 = f["avx2"] or f["avx512f"]
    int8 = "supported" if cpu.vnni else ("emulated" if x86 else "not supported")
    notes = []
    if f["avx2"] and not f["avx512f"]:
        notes.append(
            "AVX2 instruction set detected. Performance speedups are available, but "
            "inference time will be slower compared with an AVX-512 system."
        )
    if x86 and not cpu.vnni:
        notes.append(
            "Non VNNI system detected. Performance speedups for INT8 (quantized) "
            "models is available, but will be slower compared with a VNNI system. "
            "Set NM_FAST_VNNI_EMULATION=True in the environment to enable faster "
            "emulated inference which may have a minor effect on accuracy."
        )
    return {
        "fp32": x86,
        "int8": int8,
        "sparsity": (
            "sparse kernels for FP32 and INT8 (unstructured and block-4 zeros are "
            "skipped); how much they buy on this CPU is what recipe sweep measures"
            if x86
            else "not supported"
        ),
        "notes": notes,
        "measure": (
            "what pays off here is measured, not read from this table: "
            "recipe sweep --model M times every variant on this CPU"
        ),
    }


_DETECT = (
    "import json; from deepsparse.cpu import cpu_architecture; a = cpu_architecture(); "
    "print(json.dumps({'isa': a.isa, 'vnni': bool(a.vnni), "
    "'cores': int(a.num_available_physical_cores)}))"
)


def deepsparse_detects() -> dict[str, Any] | None:
    """DeepSparse's own reading of the CPU (its `arch.bin`), when it is installed:
    in a child process, since importing deepsparse takes seconds and loads torch."""
    import json
    import subprocess

    if _version("deepsparse") is None:
        return None
    try:
        out = subprocess.run(
            [sys.executable, "-c", _DETECT],
            env={**os.environ, "NM_DISABLE_ANALYTICS": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return found
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        return {"error": str(exc).strip().splitlines()[0][:200] if str(exc) else ""}


def _compat_fixes() -> list[str]:
    from . import torch_compat

    return list(torch_compat.FIXES)


def report(
    environ: dict[str, str] | None = None, cpu: CPU | None = None, engine: bool = True
) -> dict[str, Any]:
    """The environment as a dict (the `--format json` document); `engine=False`
    skips asking DeepSparse itself (seconds)."""
    env = os.environ if environ is None else environ
    cpu = cpu or detect()
    says = deepsparse_says(cpu)
    says["detected"] = deepsparse_detects() if engine else None
    says["fast_vnni_emulation"] = _truthy(env.get("NM_FAST_VNNI_EMULATION", ""))
    packages = {name: _version(name) for name in (*RUNNER, *OPTIONAL)}
    missing = [n for n in RUNNER if packages[n] is None]
    off_pin = [
        f"{n} {packages[n]} (wants {spec})"
        for n, spec in RUNNER.items()
        if packages[n] is not None and not _satisfies(packages[n], spec)
    ]
    analytics = env.get("NM_DISABLE_ANALYTICS", "")
    return {
        "python": {
            "version": platform.python_version(),
            "executable": sys.executable,
        },
        "recipe_compiler": _version("recipe-compiler"),
        "packages": packages,
        "runner": {
            "installed": not missing,
            "missing": missing,
            "off_pin": off_pin,
            "install": 'pip install -e ".[runner]"' if missing or off_pin else None,
        },
        "cpu": cpu.to_dict(),
        "deepsparse": says,
        "analytics_disabled": _truthy(analytics),
        "compat_fixes": _compat_fixes(),
    }


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def text(doc: dict[str, Any]) -> str:
    """The report as aligned lines, most important first."""
    cpu, ds, run = doc["cpu"], doc["deepsparse"], doc["runner"]
    lines = [
        f"cpu          {cpu['model']}, {cpu['cores']} cores, {cpu['isa']}",
        "isa          "
        + "  ".join(
            f"{k} {'yes' if cpu[k] else 'no'}"
            for k in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx")
        ),
        f"deepsparse   FP32 {'supported' if ds['fp32'] else 'not supported'}, "
        f"INT8 {ds['int8']}",
    ]
    found = ds.get("detected")
    if found and "isa" in found:
        lines.append(
            f"             DeepSparse detects {found['isa']}, VNNI "
            f"{'yes' if found['vnni'] else 'no'}, {found['cores']} cores"
        )
    elif found:
        lines.append(f"             DeepSparse could not say: {found['error']}")
    lines += [f"             {n}" for n in ds["notes"]]
    if ds.get("fast_vnni_emulation"):
        lines.append("             NM_FAST_VNNI_EMULATION is set here")
    lines.append(f"             {ds['measure']}")
    lines.append(
        f"python       {doc['python']['version']} ({doc['python']['executable']})"
    )
    for name, version in doc["packages"].items():
        label = name.removeprefix("python-")  # python-multipart: the column's width
        lines.append(f"{label:<12} {version or 'not installed'}")
    if run["installed"] and not run["off_pin"]:
        lines.append("runner       installed (recipe run, bench, sweep, serve)")
    else:
        why = [*(f"{m} missing" for m in run["missing"]), *run["off_pin"]]
        lines.append(f"runner       not ready: {'; '.join(why)}: {run['install']}")
    lines.append(
        "analytics    "
        + (
            "disabled (NM_DISABLE_ANALYTICS=1)"
            if doc["analytics_disabled"]
            else "NM_DISABLE_ANALYTICS is not set: the runner sets it before "
            "sparseml and deepsparse load; set it for your own scripts"
        )
    )
    lines.append("compat       the runner's fixes for sparseml 1.8 on torch 2.13:")
    lines += [f"             - {fix}" for fix in doc["compat_fixes"]]
    return "\n".join(lines)
