"""`recipe doctor`: the environment, checked against the OS and the packages."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recipe_compiler import doctor, torch_compat
from recipe_compiler.hardware.cpu import detect

ROOT = Path(__file__).resolve().parent.parent
ISA_KEYS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx")


def recipe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recipe_compiler.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def doc() -> dict:
    out = recipe("doctor", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_isa_fields_are_the_flags_of_proc_cpuinfo(doc):
    text = Path("/proc/cpuinfo").read_text()
    flags = set(re.search(r"^flags\s*:\s*(.+)$", text, re.M).group(1).split())
    want = {
        "avx2": "avx2" in flags,
        "avx512f": "avx512f" in flags,
        "avx512_vnni": "avx512_vnni" in flags,
        "avx_vnni": "avx_vnni" in flags,
        "amx": "amx_tile" in flags,
    }
    assert {k: doc["cpu"][k] for k in ISA_KEYS} == want
    assert all(type(doc["cpu"][k]) is bool for k in ISA_KEYS)
    name = re.search(r"^model name\s*:\s*(.+)$", text, re.M).group(1).strip()
    assert doc["cpu"]["model"] == name
    assert doc["cpu"]["cores"] == len(re.findall(r"^processor\s*:", text, re.M))


def test_the_documented_keys_are_the_keys(doc):
    table = (ROOT / "docs" / "doctor.md").read_text()
    documented = set(re.findall(r"`([a-z_0-9]+(?:\.[a-z_0-9]+)?)`", table))

    def paths(d: dict, prefix: str = "") -> set[str]:
        out = set()
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("packages", "detected"):
                out |= paths(v, f"{prefix}{k}.")
            else:
                out.add(f"{prefix}{k}")
        return out

    assert paths(doc) <= documented, paths(doc) - documented
    assert set(doc["packages"]) == {*doctor.RUNNER, *doctor.OPTIONAL}


def test_versions_are_the_installed_ones(doc):
    for name, version in doc["packages"].items():
        try:
            assert version == importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            assert version is None
    assert doc["python"]["executable"] == sys.executable
    assert doc["compat_fixes"] == list(torch_compat.FIXES)


def test_deepsparse_detects_what_the_os_reports(doc, sparseml):
    """DeepSparse's own detection (arch.bin) agrees with /proc/cpuinfo, and so does
    its INT8 verdict."""
    cpu = detect()
    found = doc["deepsparse"]["detected"]
    assert found["isa"] == ("avx512" if cpu.features["avx512f"] else "avx2")
    assert found["vnni"] == cpu.vnni
    assert doc["deepsparse"]["int8"] == ("supported" if cpu.vnni else "emulated")


def test_without_the_runner_it_says_how_to_install_it():
    """A CPU without VNNI and a machine without sparseml: every verdict follows."""
    cpu = detect(
        "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 fma\n"
        "processor\t: 1\n"
    )
    doc = doctor.report(environ={}, cpu=cpu, engine=False)
    assert doc["cpu"]["isa"] == "AVX2 only" and doc["cpu"]["cores"] == 2
    assert doc["deepsparse"]["int8"] == "emulated"
    assert doc["analytics_disabled"] is False
    assert doctor._satisfies("2.13.0+cpu", "==2.13.0")
    assert not doctor._satisfies("1.9.0", "==1.8.0")
    assert doctor._satisfies("1.14.1", "<1.15") and not doctor._satisfies(
        "1.15.0", "<1.15"
    )
    text = doctor.text(
        {
            **doc,
            "packages": {**doc["packages"], "sparseml": None},
            "runner": {
                "installed": False,
                "missing": ["sparseml"],
                "off_pin": [],
                "install": 'pip install -e ".[runner]"',
            },
        }
    )
    assert (
        'runner       not ready: sparseml missing: pip install -e ".[runner]"' in text
    )
    assert "sparseml     not installed" in text
    assert "NM_DISABLE_ANALYTICS is not set" in text
