"""Reversing hashed identifiers: keyspaces, recipes and the enumeration engine."""
