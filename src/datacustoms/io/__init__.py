"""Read: any source becomes one :class:`~datacustoms.table.Table`."""

from datacustoms.io.sources import read

__all__ = ["read"]
