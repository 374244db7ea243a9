"""E-mail addresses (RFC 5321 shape, a dotted domain with a letter TLD): see :mod:`datacustoms.kinds.email`."""

from datacustoms.detect.base import SpecDetector
from datacustoms.kinds.builtin import EMAIL


class Email(SpecDetector, spec=EMAIL):
    pass
