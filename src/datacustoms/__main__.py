"""``python -m datacustoms``."""

from datacustoms.cli import main

main()
