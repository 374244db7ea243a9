"""Built-in detectors: importing this package registers each one."""

from datacustoms.detect.builtin import email  # noqa: F401
