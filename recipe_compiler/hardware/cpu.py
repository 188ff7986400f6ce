"""The CPU a speed figure was measured on, as the OS reports it.

Speed figures are only comparable within one machine: DeepSparse runs INT8 with
VNNI instructions where the CPU has them (AVX-512 VNNI, AVX-VNNI, AMX) and emulates
them with plain AVX2 or AVX-512 otherwise, and a sparse model's gain depends on the
cores and caches. Every figure we print names this.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
from pathlib import Path

# /proc/cpuinfo flag -> our name; the features DeepSparse's speed depends on
FLAGS = {
    "avx2": "avx2",
    "avx512f": "avx512f",
    "avx512_vnni": "avx512_vnni",
    "avx_vnni": "avx_vnni",
    "amx_tile": "amx",
}


@dataclasses.dataclass(frozen=True)
class CPU:
    model: str
    cores: int
    features: dict[str, bool]  # the FLAGS values, each present or not

    @property
    def vnni(self) -> bool:
        f = self.features
        return f["avx512_vnni"] or f["avx_vnni"] or f["amx"]

    @property
    def isa(self) -> str:
        """`AVX2 only`, `AVX-512 + VNNI`, ...: what the figures depend on."""
        f = self.features
        if f["avx512f"]:
            base = "AVX-512"
        elif f["avx2"]:
            base = "AVX2"
        else:
            return "no AVX2"
        extra = [
            name
            for name, on in (
                ("VNNI", f["avx512_vnni"] or f["avx_vnni"]),
                ("AMX", f["amx"]),
            )
            if on
        ]
        return f"{base} + {' + '.join(extra)}" if extra else f"{base} only"

    def describe(self) -> str:
        return f"{self.model}, {self.cores} cores, {self.isa}"

    def int8_note(self) -> str:
        """Why an INT8 model may not beat FP32 here, in one sentence."""
        how = (
            "this CPU has VNNI, so DeepSparse runs INT8 natively"
            if self.vnni
            else "this CPU has no VNNI, so DeepSparse emulates INT8 (it says so)"
        )
        return (
            f"{how}; on a tiny input (a few kilobytes of activations, microseconds "
            "a call) the engine's per-call overhead and the quantize and dequantize "
            "steps cost more than the arithmetic they save, so DeepSparse can trail "
            "onnxruntime and INT8 can trail FP32, as it also can without VNNI; "
            "compare the ratios of one run on one machine, never times across "
            "machines"
        )

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> CPU:
        """What `to_dict` wrote (report.json's `cpu`)."""
        cores = d.get("cores")
        return cls(
            str(d.get("model", "")),
            int(cores) if isinstance(cores, int) else 1,
            {name: bool(d.get(name)) for name in FLAGS.values()},
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "cores": self.cores,
            "isa": self.isa,
            **self.features,
        }


def detect(cpuinfo: str | None = None) -> CPU:
    """This machine's CPU (or the one a /proc/cpuinfo text describes)."""
    if cpuinfo is None:
        try:
            info = Path("/proc/cpuinfo")
            cpuinfo = info.read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    name = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    flags_line = re.search(r"^flags\s*:\s*(.+)$", cpuinfo, re.M)
    flags = set(flags_line.group(1).split()) if flags_line else set()
    cores = len(re.findall(r"^processor\s*:", cpuinfo, re.M)) or os.cpu_count() or 1
    return CPU(
        name.group(1).strip() if name else (platform.processor() or platform.machine()),
        cores,
        {ours: flag in flags for flag, ours in FLAGS.items()},
    )
