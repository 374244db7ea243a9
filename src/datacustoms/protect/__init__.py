"""Protect: make an export safe by policy (keyed pseudonyms, tokens, FPE, generalisation).

The package is also callable: ``datacustoms.protect(df, policy)`` is
:func:`datacustoms.api.protect` (see :mod:`datacustoms._callable`).
"""

from datacustoms._callable import make_callable

make_callable(__name__, "datacustoms.api.frames:protect")
