"""The transfer ledger: an append-only, hash-chained record of what left, to whom and why.

    from datacustoms.ledger import LedgerStore
    with LedgerStore() as store:               # ~/.local/share/datacustoms/ledger.db
        print(store.verify().ok)
        for entry in store.lookup(store.hasher.hash_value("010-1234-5678")):
            print(entry.seq, entry.body["recipient"]["name"])
"""

from datacustoms.ledger.chain import GENESIS, Entry, Problem, VerifyResult, verify_chain
from datacustoms.ledger.store import LedgerStore, resolve_url

__all__ = ["GENESIS", "Entry", "LedgerStore", "Problem", "VerifyResult", "resolve_url", "verify_chain"]
