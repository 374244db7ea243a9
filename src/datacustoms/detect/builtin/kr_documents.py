"""Korean driver's licence and passport numbers: the rules live in :mod:`datacustoms.kinds.documents`."""

from __future__ import annotations

from datacustoms.detect.base import SpecDetector
from datacustoms.kinds.builtin import KR_DRIVER_LICENSE, KR_PASSPORT


class KoreanDriverLicence(SpecDetector, spec=KR_DRIVER_LICENSE):
    pass


class KoreanPassport(SpecDetector, spec=KR_PASSPORT):
    pass
