"""``python -m datacustoms``."""

from datacustoms.launch import run

run()
