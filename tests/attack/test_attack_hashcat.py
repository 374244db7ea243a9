"""The hashcat driver: masks, potfile parsing, command lines; a real run when hashcat is installed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from datacustoms.attack import attack_column
from datacustoms.attack.hashcat import (
    build_command,
    hashcat_mask,
    hashcat_mode,
    hashcat_path,
    parse_potfile,
    part_mask,
    supports,
)
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.keyspaces import Part
from datacustoms.attack.hashes.recipes import Recipe
from datacustoms.errors import AttackError
from datacustoms.table import from_arrow


def test_masks_from_templates() -> None:
    assert part_mask(Part("010-XXXX-XXXX"), Recipe("sha256", "dashes")) == "010-?d?d?d?d-?d?d?d?d"
    salted = Recipe("md5", "digits", prefix=b"why?", suffix=b"!")
    assert part_mask(Part("010XXXXXXXX"), salted) == "why??010?d?d?d?d?d?d?d?d!"
    # the RRN check digit is enumerated too (a superset); hits are re-hashed before they count
    assert part_mask(Part("900101-1XXXXXC"), Recipe("sha256", "rrn_dash")) == "900101-1?d?d?d?d?d?d"
    assert hashcat_mask("주민".encode(), ()) is None


def test_potfile_parsing(tmp_path: Path) -> None:
    pot = tmp_path / "pot"
    pot.write_bytes(
        b"2813448ce6316cb70b38fa29c8c64130:123-456-7890\n"
        b"E0E9D41C:$HEX[3031303a31]\n"
        b"no separator line\n"
        b"abcd:$HEX[zz]\n"
    )
    assert parse_potfile(pot) == [("2813448ce6316cb70b38fa29c8c64130", b"123-456-7890"), ("e0e9d41c", b"010:1")]
    assert parse_potfile(tmp_path / "absent") == []


def test_command_line(tmp_path: Path) -> None:
    cmd = build_command("hashcat", 1400, tmp_path / "h.txt", tmp_path / "pot", "010?d?d?d?d?d?d?d?d", 30)
    assert cmd[:5] == ["hashcat", "-m", "1400", "-a", "3"]
    assert "--potfile-path" in cmd and cmd[-1] == "010?d?d?d?d?d?d?d?d" and "--runtime" in cmd


def test_modes_for_single_and_double_hashes() -> None:
    from datacustoms.attack.reverse import Job

    assert hashcat_mode(Recipe("sha256", "digits")) == 1400
    assert hashcat_mode(Recipe("md5", "digits", rounds=2)) == 2600
    assert hashcat_mode(Recipe("sha1", "digits", rounds=2)) == 4500
    assert hashcat_mode(Recipe("sha256", "digits", rounds=2)) is None  # 21400 hashes the binary digest
    space = ks.kr_mobile()
    assert supports(Job(Recipe("md5", "digits", rounds=2), space, "digits", (0,)))
    assert not supports(Job(Recipe("sha256", "digits", rounds=2), space, "digits", (0,)))


@pytest.mark.skipif(hashcat_path() is not None, reason="hashcat is installed")
def test_missing_hashcat_is_a_clear_error() -> None:
    table = from_arrow(pa.table({"hp": [hashlib.sha256(b"01010001234").hexdigest()]}))
    with pytest.raises(AttackError, match="hashcat is not installed"):
        attack_column(table, "hp", engine="hashcat", keyspaces=[ks.kr_mobile().narrowed("1000")])


@pytest.mark.slow
@pytest.mark.skipif(hashcat_path() is None, reason="hashcat is not installed")
@pytest.mark.parametrize(("alg", "rounds", "size"), [("sha256", 1, 32), ("md5", 2, 16)])
def test_real_hashcat_run(alg: str, rounds: int, size: int) -> None:
    import time

    from datacustoms.attack.hashcat import run_hashcat_jobs
    from datacustoms.attack.hashes.runner import Runner
    from datacustoms.attack.hashes.targets import DigestFormat, parse_batches
    from datacustoms.attack.reverse import Job

    phones = ["01010001234", "01010009876"]
    recipe = Recipe(alg, "digits", shape="0101000XXXX", rounds=rounds)
    parsed = parse_batches([pa.array([recipe.digest(p.encode()).hex() for p in phones])], DigestFormat(size, "hex"))
    runner = Runner(parsed, engine="python")
    space = ks.kr_mobile().narrowed("1000")
    job = Job(recipe, space, "digits", (0,))
    run_hashcat_jobs(runner, [job], len(parsed.distinct), time.perf_counter() + 300)
    (res,) = runner.results
    if res.engine == "hashcat" and not res.complete:
        pytest.skip("hashcat could not run a device here")
    assert res.engine == "hashcat" and res.hits == 2
    assert sorted(p for _, p in runner.found.head(10)) == [p.encode() for p in phones]
