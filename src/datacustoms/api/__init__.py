"""The Python API, in the PyData habit: frames in, Arrow tables and rich results out.

    import datacustoms
    report = datacustoms.inspect(df)                   # Report: verdict, findings_table(), to_pandas()
    detection = datacustoms.detect(df)                 # editable: set_kind, set_role, drop
    safe = datacustoms.protect(df, policy)             # pyarrow.Table, kept columns typed
    safe, proof = datacustoms.protect_and_prove(df, policy)

``datacustoms.protect`` and ``datacustoms.detect`` are also the names of subpackages; calling them
calls the functions here (:mod:`datacustoms._callable`). Type-checked code imports them from here:
``from datacustoms.api import protect``.
"""

from datacustoms.api.detection import Detection, detect
from datacustoms.api.frames import as_policy, protect, protect_and_prove
from datacustoms.api.results import ProofResult, ProtectedTable
from datacustoms.flows.inspect import inspect

__all__ = ["Detection", "ProofResult", "ProtectedTable", "as_policy", "detect", "inspect", "protect", "protect_and_prove"]
