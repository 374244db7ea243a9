"""Synthetic data shaped like real exports, deterministic from a seed (the Kakao Pay case first)."""

from __future__ import annotations

from datacustoms.synth.kakaopay import HashRecipe, ScenarioManifest, build_customers, generate_kakaopay

__all__ = ["HashRecipe", "ScenarioManifest", "build_customers", "generate_kakaopay"]
