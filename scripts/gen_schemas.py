"""Regenerate the JSON Schemas and the rule list committed under docs/ from the code.

python scripts/gen_schemas.py          # write
python scripts/gen_schemas.py --check  # exit 1 when a committed schema is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from datacustoms.flows.documents import schema_texts
from datacustoms.model.rules import rules_markdown
from datacustoms.policy import policy_json_schema_text

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMAS: dict[str, Callable[[], str]] = {
    "policy.schema.json": policy_json_schema_text,
    **schema_texts(),
    "rules.md": rules_markdown,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    stale = []
    for name, generate in SCHEMAS.items():
        path = DOCS / name
        text = generate()
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote docs/{name}")
    if args.check and stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
