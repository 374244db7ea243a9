"""The flows: the only code that chains the stages (see docs/architecture.md).

``inspect`` (read → detect → attack → measure → checks), ``protect_and_prove`` (protect, then
inspect input and output the same way), ``run_transfer`` (terms → consent → protect → prove →
record → release) and ``run_demo`` on top. Each command of the CLI calls one of them; an
:class:`~datacustoms.engines.base.Engine` decides where the heavy parts run.
"""
