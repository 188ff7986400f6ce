"""The CPU a speed figure names: read from /proc/cpuinfo, one flag per feature."""

from __future__ import annotations

from pathlib import Path

from recipe_compiler.hardware.cpu import FLAGS, detect

AVX2_ONLY = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma
processor\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma
"""
VNNI = AVX2_ONLY.replace("avx2 fma", "avx2 fma avx512f avx512_vnni").replace(
    "AMD EPYC 7B13", "Intel Xeon"
)


def test_cpuinfo_is_read_as_the_os_says():
    cpu = detect(AVX2_ONLY)
    assert (cpu.model, cpu.cores) == ("AMD EPYC 7B13", 2)
    assert cpu.features == {
        "avx2": True,
        "avx512f": False,
        "avx512_vnni": False,
        "avx_vnni": False,
        "amx": False,
    }
    assert cpu.isa == "AVX2 only" and not cpu.vnni
    assert "emulates INT8" in cpu.int8_note()
    fast = detect(VNNI)
    assert fast.isa == "AVX-512 + VNNI" and fast.vnni
    assert "natively" in fast.int8_note()
    assert fast.describe() == "Intel Xeon, 2 cores, AVX-512 + VNNI"


def test_this_machine_matches_proc_cpuinfo():
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    cpu = detect()
    assert cpu.features == {ours: flag in flags for flag, ours in FLAGS.items()}
    assert cpu.to_dict()["isa"] == cpu.isa


def test_a_report_reads_back_the_cpu_it_wrote():
    from recipe_compiler.hardware.cpu import CPU

    cpu = detect(VNNI)
    assert CPU.from_dict(cpu.to_dict()) == cpu
