"""Protect: make an export safe by policy (keyed pseudonyms, tokens, FPE, generalisation)."""
