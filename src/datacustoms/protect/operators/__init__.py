"""Protection operators, one module per action. Each builds a kernel ``RecordBatch -> RecordBatch``.

``basic`` (drop / keep), ``pseudonymize``, ``tokenize``, ``fpe``, ``generalize`` (with
``hierarchy``), ``mask``, ``shift_dates`` and ``suppress``. Keyed operators take a key already
derived for the recipient, purpose and operation (:func:`datacustoms.protect.crypto.derive_key`).
"""

from datacustoms.protect.operators.common import Kernel

__all__ = ["Kernel"]
