"""``python -m datacustoms``."""

from datacustoms.cli import run

run()
