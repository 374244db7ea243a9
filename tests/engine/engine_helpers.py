"""Helpers shared by the engine tests: which native paths this CPU can run."""

from __future__ import annotations

import pytest

from datacustoms.attack.hashes import engine


def native_impls() -> list[str]:
    """Every native SHA-256 path this machine can execute (empty without the extension)."""
    if not engine.native_available():
        return []
    feats = engine.cpu_features()
    return ["scalar"] + [k for k in ("sha_ni", "avx2", "avx512") if feats[k]]


needs_native = pytest.mark.skipif(not engine.native_available(), reason="native extension not built")
