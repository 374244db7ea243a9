"""The native module still links where there are no SIMD units (``DC_NO_SIMD``, non-x86 CPUs):
every kernel module.c names must have a stub in scalar.c, or such a build fails at import."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

import datacustoms

NATIVE = Path(datacustoms.__file__).parent / "attack" / "hashes" / "native"


def _symbols(obj: Path, *flags: str) -> set[str]:
    out = subprocess.run(["nm", *flags, str(obj)], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("nm")), reason="needs gcc and nm")
def test_a_build_without_simd_units_defines_every_kernel_module_c_calls(tmp_path: Path) -> None:
    include = sysconfig.get_paths()["include"]
    for unit in ("module", "scalar"):
        subprocess.run(
            ["gcc", "-O1", "-std=c11", "-DDC_NO_SIMD=1", f"-I{include}", f"-I{NATIVE}", "-c",
             str(NATIVE / f"{unit}.c"), "-o", str(tmp_path / f"{unit}.o")],
            check=True, capture_output=True,
        )  # fmt: skip
    needed = {s for s in _symbols(tmp_path / "module.o", "-u") if s.startswith("dc_")}
    defined = _symbols(tmp_path / "module.o", "--defined-only") | _symbols(tmp_path / "scalar.o", "--defined-only")
    assert {"dc_mb_avx512_rev", "dc_mb_shani_rev", "dc_mb_avx2_nz3_inv2"} <= needed  # the check has teeth
    assert needed <= defined, sorted(needed - defined)
