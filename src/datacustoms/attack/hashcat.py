"""Drive ``hashcat`` (when installed) for the enumerable recipes: users with a GPU get its speed.

Each masked job becomes one hashcat mask attack (``-a 3``): enumerated digits are ``?d``,
template bytes (salt included) are literals, ``?`` is escaped as ``??``. hashcat's own keyspace
order differs from ours, so a part's index window is not passed on: the whole mask runs (a
superset) and every plaintext hashcat reports is re-hashed with the recipe before it counts.
Results are read from a private ``--potfile-path``; jobs hashcat cannot express (lists,
non-ASCII templates, algorithms without a mode, double SHA-256 over the hex digest) run on the
built-in engine.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from datacustoms.attack.hashes.keyspaces import MaskKeyspace, Part, mask_layout
from datacustoms.attack.hashes.recipes import Recipe
from datacustoms.attack.hashes.runner import JobResult, Runner
from datacustoms.attack.reverse import Job, recipe_key, run_jobs
from datacustoms.errors import AttackError

#: hashcat hash modes for plain (unsalted, single) digests
HASHCAT_MODES = {
    "md5": 0,
    "sha1": 100,
    "sha224": 1300,
    "sha256": 1400,
    "sha384": 10800,
    "sha512": 1700,
    "sha3_256": 17400,
    "sha3_512": 17600,
}
#: … and for double hashes over the lower-case hex of the first digest (hashcat has no mode for
#: sha256(sha256($pass)) in hex: 21400 hashes the binary digest)
HASHCAT_DOUBLE_MODES = {"md5": 2600, "sha1": 4500}


def hashcat_mode(recipe: Recipe) -> int | None:
    """hashcat's hash mode for a recipe's algorithm and rounds, or None when it has none."""
    if recipe.keyed or recipe.secret:  # a known key or salt stays off hashcat's command line
        return None
    return (HASHCAT_MODES if recipe.rounds == 1 else HASHCAT_DOUBLE_MODES).get(recipe.algorithm)


def hashcat_path() -> str | None:
    """The ``hashcat`` executable on PATH, or None."""
    return shutil.which("hashcat")


def hashcat_mask(template: bytes, positions: tuple[int, ...]) -> str | None:
    """A hashcat mask for a template with decimal slots (None if a byte is not printable ASCII)."""
    slots = set(positions)
    out = []
    for i, b in enumerate(template):
        if i in slots:
            out.append("?d")
        elif 32 <= b < 127:
            out.append("??" if b == ord("?") else chr(b))
        else:
            return None
    return "".join(out)


def part_mask(part: Part, recipe: Recipe) -> str | None:
    """The hashcat mask for one keyspace part under a recipe (the check digit becomes ``?d``)."""
    tmpl, positions, _ = mask_layout(part, recipe.prefix, recipe.suffix)
    return hashcat_mask(tmpl, positions)


def supports(job: Job) -> bool:
    return (
        isinstance(job.keyspace, MaskKeyspace)
        and hashcat_mode(job.recipe) is not None
        and all(part_mask(p, job.recipe) is not None for p in job.keyspace.parts(job.fmt))
    )


def parse_potfile(path: Path) -> list[tuple[str, bytes]]:
    """``hash:plaintext`` lines → (hex digest, plaintext bytes); ``$HEX[..]`` plaintexts decoded."""
    out: list[tuple[str, bytes]] = []
    if not path.exists():
        return out
    for line in path.read_bytes().splitlines():
        digest, sep, plain = line.partition(b":")
        if not sep:
            continue
        if plain.startswith(b"$HEX[") and plain.endswith(b"]"):
            try:
                plain = bytes.fromhex(plain[5:-1].decode("ascii"))
            except ValueError:
                continue
        out.append((digest.decode("ascii", errors="replace").strip().lower(), plain))
    return out


@dataclass
class HashcatRun:
    command: list[str]
    returncode: int
    seconds: float


def build_command(exe: str, mode: int, hash_file: Path, pot: Path, mask: str, runtime: int) -> list[str]:
    """The hashcat command line for one mask attack."""
    return [
        exe, "-m", str(mode), "-a", "3", "--potfile-path", str(pot), "--quiet",
        "--runtime", str(max(1, runtime)), "--outfile-autohex-disable", str(hash_file), mask,
    ]  # fmt: skip


def run_hashcat_jobs(runner: Runner, jobs: list[Job], distinct: int, deadline: float) -> dict[str, int]:
    """Run what hashcat can express through hashcat, the rest on the built-in engine."""
    exe = hashcat_path()
    if exe is None:
        raise AttackError("hashcat is not installed", "install hashcat, or use --engine native")
    sizes: dict[str, int] = {}
    rest: list[Job] = []
    with tempfile.TemporaryDirectory(prefix="dc-hashcat-") as tmp:
        folder = Path(tmp)
        hash_file = folder / "targets.txt"
        with hash_file.open("w") as fh:
            for key in runner.keys:
                fh.write(key.ljust(runner.size, b"\0").hex() + "\n")
        for job in jobs:
            if time.perf_counter() >= deadline or (distinct and len(runner.found) >= 0.99 * distinct):
                break
            if not supports(job):
                rest.append(job)
                continue
            res = _run_one(exe, runner, job, folder, hash_file, deadline)
            sizes[str(job.recipe)] = sizes.get(str(job.recipe), 0) + res.size
    if rest and time.perf_counter() < deadline:
        hit = {recipe_key(r) for r in runner.recipes_hit}
        rest.sort(key=lambda j: (recipe_key(j.recipe) not in hit, j.rank))
        sizes.update(run_jobs(runner, rest, distinct, deadline))
    return sizes


def _run_one(exe: str, runner: Runner, job: Job, folder: Path, hash_file: Path, deadline: float) -> JobResult:
    assert isinstance(job.keyspace, MaskKeyspace)
    recipe = job.recipe
    parts = job.keyspace.parts(job.fmt)
    res = JobResult(recipe, f"{job.keyspace.name}:{job.fmt}", sum(p.size for p in parts), engine="hashcat")
    t0 = time.perf_counter()
    pot = folder / f"pot-{len(runner.results)}.txt"
    for part in parts:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        mask = part_mask(part, recipe)
        assert mask is not None
        mode = hashcat_mode(recipe)
        assert mode is not None
        cmd = build_command(exe, mode, hash_file, pot, mask, int(left))
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=left + 30, check=False)
        except subprocess.TimeoutExpired:
            break
        if proc.returncode not in (0, 1):  # 0 cracked, 1 exhausted; anything else stopped early
            if proc.returncode not in (2, 3, 4):
                raise AttackError(f"hashcat failed with exit code {proc.returncode}", "run hashcat -I to check devices")
            break
        res.covered += part.size
    cut = len(recipe.prefix)
    idents, digests = [], []
    for _, plain in parse_potfile(pot):
        ident = plain[cut : len(plain) - len(recipe.suffix)] if recipe.suffix else plain[cut:]
        digest = recipe.digest(ident)  # never trust the potfile: re-hash before counting
        if runner.lookup([digest]).size:
            idents.append(ident)
            digests.append(digest)
    res.hits = runner.record(recipe, idents, digests)
    res.seconds = time.perf_counter() - t0
    runner.results.append(res)
    runner.enumerated += res.covered
    runner.busy += res.seconds
    return res
