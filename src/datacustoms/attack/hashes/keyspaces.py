"""Keyspaces: every value an identifier can take, with an exact size.

A keyspace is either *masked* (a template with decimal digit slots: phone numbers, RRNs,
numeric serials; the native engine enumerates these at hardware speed) or a *list* (dates,
e-mails, names, the recipient's own customers). Masked keyspaces render into each phone /
text format, so one keyspace yields one engine ``Mask`` per (format, part). Sizes are exact:
they count what is enumerated, not what is valid (the 010 block is 10^8 even though middle
blocks 0000–1999 are not issued).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import phonenumbers

from datacustoms.attack.hashes.recipes import PHONE_FORMATS, normalise, render_phone
from datacustoms.errors import UsageError
from datacustoms.kinds import phones
from datacustoms.kinds import rrn as rrn_kind
from datacustoms.kinds.spec import Keyspace as KindKeyspace


@dataclass(frozen=True)
class Part:
    """One enumerable piece: ``X`` marks an enumerated digit, ``C`` the RRN check digit.

    Indices ``start``…``stop`` (exclusive) count the enumerated digits as one decimal number,
    most significant first, so a numeric range 1000–4999 is the slice 1000…5000 of ``XXXX``.
    """

    template: str
    start: int = 0
    stop: int | None = None

    @property
    def digits(self) -> int:
        return self.template.count("X")

    @property
    def end(self) -> int:
        return 10**self.digits if self.stop is None else self.stop

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)

    @property
    def check(self) -> str | None:
        return "kr_rrn" if "C" in self.template else None

    def narrowed(self, fixed: str) -> Part | None:
        """Fix the leading enumerated digits (a test-only limit); None when nothing remains."""
        if len(fixed) > self.digits:
            return None
        k = len(fixed)
        if k == 0:
            return self
        chars = list(self.template)
        slots = [i for i, c in enumerate(chars) if c == "X"]
        for i, d in zip(slots[:k], fixed[:k], strict=True):
            chars[i] = d
        rest = self.digits - k
        base = int(fixed[:k]) * 10**rest
        start = max(self.start, base) - base
        stop = min(self.end, base + 10**rest) - base
        if stop <= start:
            return None
        return Part("".join(chars), start, None if (start == 0 and stop == 10**rest) else stop)


def mask_layout(part: Part, prefix: bytes = b"", suffix: bytes = b"") -> tuple[bytes, tuple[int, ...], str | None]:
    """Template bytes (slots as ``0``), slot offsets (check slot last) and the check kind."""
    body = part.template.encode("utf-8")
    slots = tuple(len(prefix) + i for i, c in enumerate(body) if c == ord("X"))
    check = tuple(len(prefix) + i for i, c in enumerate(body) if c == ord("C"))
    tmpl = prefix + body.replace(b"X", b"0").replace(b"C", b"0") + suffix
    return tmpl, slots + check, ("kr_rrn" if check else None)


def candidates(part: Part, prefix: bytes, suffix: bytes, start: int, stop: int) -> list[bytes]:
    """Candidates ``start``…``stop`` of a part, built with numpy (the pure-Python enumeration)."""
    tmpl, positions, check = mask_layout(part, prefix, suffix)
    n = stop - start
    if n <= 0:
        return []
    ndig = part.digits
    idx = np.arange(start, stop, dtype=np.int64)
    rows = np.frombuffer(tmpl, dtype=np.uint8)[None, :].repeat(n, axis=0)
    for j in range(ndig):
        rows[:, positions[j]] = 48 + (idx // 10 ** (ndig - 1 - j)) % 10
    if check:
        rows[:, positions[-1]] = 48 + rrn_check_digits(rows, _rrn_offsets(tmpl, positions[-1]))
    flat = rows.tobytes()
    width = len(tmpl)
    return [flat[i * width : (i + 1) * width] for i in range(n)]


def _rrn_offsets(tmpl: bytes, check_pos: int) -> list[int]:
    """Offsets of the 12 weighted digits before the check digit (skipping a dash)."""
    out: list[int] = []
    i = check_pos - 1
    while len(out) < 12 and i >= 0:
        if 48 <= tmpl[i] <= 57:
            out.append(i)
        i -= 1
    return out[::-1]


def rrn_check_digits(rows: np.ndarray, offsets: Sequence[int]) -> np.ndarray:
    """Check digits of rendered candidates (ASCII rows), the 12 weighted digits at ``offsets``."""
    return rrn_kind.check_digits(rows[:, list(offsets)].astype(np.int64) - 48).astype(np.uint8)


rrn_check = rrn_kind.check_digit


@dataclass(frozen=True)
class MaskKeyspace:
    """A keyspace of digit templates, rendered per format."""

    name: str
    family: str  # phone, rrn, numeric
    description: str
    formats: tuple[str, ...]
    parts_by_format: tuple[tuple[str, tuple[Part, ...]], ...]
    enumerable: bool = True
    note: str | None = None
    display: tuple[tuple[str, str], ...] = ()  # format → shape shown in recipes, when parts vary (RRNs)
    #: the share of the family's identifiers expected here: the attack divides a job's cost by it,
    #: so a rare keyspace (retired mobile prefixes) waits until a recipe hits elsewhere
    prior: float = 1.0

    def shape(self, fmt: str) -> str | None:
        """How an identifier of this keyspace looks in a format, e.g. ``010-XXXX-XXXX``."""
        for name, shown in self.display:
            if name == fmt:
                return shown
        parts = self.parts(fmt)
        return parts[0].template.replace("C", "X") if parts else None

    def parts(self, fmt: str) -> tuple[Part, ...]:
        for name, parts in self.parts_by_format:
            if name == fmt:
                return parts
        raise KeyError(fmt)

    @cached_property
    def size(self) -> int:
        """Candidates per format (every format enumerates the same identifiers)."""
        return sum(p.size for p in self.parts(self.formats[0]))

    def narrowed(self, fixed: str) -> MaskKeyspace:
        """A test-only slice: fix the leading enumerated digits of every part."""
        new = tuple(
            (fmt, tuple(q for p in parts if (q := p.narrowed(fixed)) is not None))
            for fmt, parts in self.parts_by_format
        )
        return replace(self, name=f"{self.name}[{fixed}…]", parts_by_format=new, enumerable=True)


@dataclass(frozen=True)
class ListKeyspace:
    """A finite list of plaintext candidates, normalised per format."""

    name: str
    family: str  # email, phone, date, text
    description: str
    values: tuple[str, ...]
    formats: tuple[str, ...]
    region: str = "KR"
    enumerable: bool = True
    note: str | None = None
    _cache: dict[str, list[bytes]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.values)

    def candidates(self, fmt: str) -> list[bytes]:
        """Distinct normalised candidates in this format (values that do not normalise drop out)."""
        if fmt not in self._cache:
            out: dict[bytes, None] = {}
            for v in self.values:
                norm = normalise(v, fmt, self.region)
                if norm is not None:
                    out[norm.encode("utf-8")] = None
            self._cache[fmt] = list(out)
        return self._cache[fmt]


Keyspace = MaskKeyspace | ListKeyspace


# ---------------------------------------------------------------------------------------- phones


def _phone_keyspace(
    name: str, description: str, cc: str, trunk: str, shapes: Sequence[tuple[str, ...]],
    formats: Sequence[str] = tuple(PHONE_FORMATS), note: str | None = None, prior: float = 1.0,
) -> MaskKeyspace:  # fmt: skip
    by_format = tuple((fmt, tuple(Part(render_phone(cc, trunk, groups, fmt)) for groups in shapes)) for fmt in formats)
    return MaskKeyspace(name, "phone", description, tuple(formats), by_format, note=note, prior=prior)


def _kind_keyspace(name: str, spec: KindKeyspace, prior: float = 1.0) -> MaskKeyspace:
    """A phone keyspace rendered from the digit groups its kind spec declares."""
    return _phone_keyspace(name, spec.description, spec.country_code, spec.trunk, spec.shapes, prior=prior)


def kr_mobile() -> MaskKeyspace:
    """010 + 8 digits: the 10^8 numbers an attacker enumerates for Korean mobiles."""
    return _kind_keyspace("kr_mobile_010", phones.MOBILE_KEYSPACE)


KR_LEGACY_PREFIXES = phones.LEGACY_MOBILE_PREFIXES


def kr_mobile_legacy() -> MaskKeyspace:
    """Retired 011/016/017/018/019 numbers with a 3- or 4-digit middle block."""
    # retired 2021-2023: a few per cent of the numbers in older data at most
    return _kind_keyspace("kr_mobile_legacy", phones.LEGACY_MOBILE_KEYSPACE, prior=0.02)


def kr_landline() -> MaskKeyspace:
    """Seoul 02 and the 16 regional area codes, each with a 3- or 4-digit exchange."""
    # customer phone columns hold mobiles; a landline is the exception
    return _kind_keyspace("kr_landline", phones.LANDLINE_KEYSPACE, prior=0.05)


def check_region(region: str) -> str:
    """The region upper-cased, or a UsageError when no numbering plan is known for it."""
    code = region.strip().upper()
    if phonenumbers.PhoneMetadata.metadata_for_region(code) is None:
        raise UsageError(f"--region {region!r} is not a region with a known numbering plan",
                         "use an ISO 3166 code such as KR, US, JP or SG")
    return code


def national_mobile(region: str, *, strict: bool = True) -> MaskKeyspace:
    """Mobile numbers of any country, derived from ``phonenumbers`` metadata.

    For each possible length of the region's mobile type, ``strict`` keeps the leading digits
    (one or two) under which the metadata's pattern accepts sampled completions; ``strict=False``
    enumerates every digit string of that length (what an attacker who ignores validity does).
    Coverage is only as good as the metadata; the keyspace's ``note`` says what was derived.
    """
    region = region.upper()
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.mobile is None or not meta.mobile.national_number_pattern:
        raise ValueError(f"no mobile metadata for region {region!r}")
    cc = str(meta.country_code)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    trunk = meta.national_prefix or ""
    if example is not None:  # does the national format write the trunk prefix (KR 0) or not (US 1)?
        national = re.sub(r"\D", "", phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL))
        if not national.startswith(trunk + str(example.national_number)) or national == str(example.national_number):
            trunk = ""
    pattern = re.compile(meta.mobile.national_number_pattern)
    general = meta.general_desc.possible_length if meta.general_desc is not None else ()
    lengths = [n for n in meta.mobile.possible_length if n > 0] or list(general)
    digits = _DigitStream(np.random.default_rng(7))
    shapes: list[tuple[str, ...]] = []
    kept: list[str] = []
    for length in lengths:
        prefixes = [""]
        if strict:
            width = 2 if length >= 8 else 1
            prefixes = []
            for p in range(10**width):
                head = str(p).zfill(width)
                for _ in range(40):
                    if pattern.fullmatch(head + digits.take(length - width)):
                        prefixes.append(head)
                        break
        for head in prefixes:
            sample = head + "0" * (length - len(head))
            groups = _groups_for(region, sample, example)
            slots = iter(["X"] * (length - len(head)))
            shaped = []
            pos = 0
            for g in groups:
                out = ""
                for _ in g:
                    out += head[pos] if pos < len(head) else next(slots)
                    pos += 1
                shaped.append(out)
            shapes.append(tuple(shaped))
            kept.append(f"{head or '*'}/{length}")
    how = "leading digits accepted by the metadata pattern (sampled)" if strict else "every digit string"
    note = f"{region} mobile from phonenumbers metadata: lengths {lengths}, {how}: {', '.join(kept[:12])}"
    if len(kept) > 12:
        note += f" (+{len(kept) - 12} more)"
    return _phone_keyspace(
        f"{region.lower()}_mobile",
        f"{region} mobile numbers (phonenumbers metadata)",
        cc,
        trunk,
        shapes,
        note=note,
    )


class _DigitStream:
    """Random decimal digits as text, drawn from ``rng`` a few thousand at a time: the same digits
    as one ``rng.integers(0, 10, n)`` call per sample (the generator's stream continues across
    calls), without the ~20 µs each call costs (the sampling makes thousands)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.text = ""
        self.pos = 0

    def take(self, n: int) -> str:
        if self.pos + n > len(self.text):
            more = (self.rng.integers(0, 10, max(4096, n)) + 48).astype(np.uint8).tobytes().decode()
            self.text = self.text[self.pos :] + more
            self.pos = 0
        self.pos += n
        return self.text[self.pos - n : self.pos]


def _groups_for(region: str, nsn: str, example: phonenumbers.PhoneNumber | None) -> list[str]:
    """Digit groups of the national format for a number of this length (from the metadata)."""
    for candidate in (nsn, str(example.national_number) if example else None):
        if not candidate or len(candidate) != len(nsn):
            continue
        num = phonenumbers.PhoneNumber(
            country_code=phonenumbers.country_code_for_region(region), national_number=int(candidate)
        )
        if candidate.startswith("0"):
            num.italian_leading_zero = True
        intl = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        groups = [g for g in re.split(r"\D+", intl) if g][1:]
        if "".join(groups) == candidate and len(groups) > 1:
            return groups
    return [nsn]


# ------------------------------------------------------------------------------- RRNs and numbers


def rrn(
    start: dt.date, end: dt.date, *, sex: str | None = None, random_tail: bool = False,
    foreign: bool = False, dash: bool = True,
) -> MaskKeyspace:  # fmt: skip
    """Korean resident registration numbers for birth dates ``start``…``end`` (inclusive).

    Numbers issued before Oct 2020 end in a check digit, so each (date, sex digit) has 10^5
    candidates. Since then the six digits after the sex digit are random (10^6 each, no check):
    that keyspace is marked enumerable only when the birth date and sex are both known; otherwise
    its size is still reported so the cost is visible.
    """
    if end < start:
        raise ValueError("end before start")
    days = (end - start).days + 1
    formats = ("rrn_dash", "digits") if dash else ("digits",)
    known = days == 1 and sex is not None
    enumerable = (not random_tail) or known
    note = None
    if random_tail:
        note = "post-Oct-2020 RRNs have random tails: 10^6 per birth date and sex" + (
            "" if known else "; enumerated only when the birth date and sex are known"
        )
    kind = "random tail" if random_tail else "with check digit"
    return RrnKeyspace(
        f"kr_rrn_{start:%Y%m%d}_{end:%Y%m%d}" + ("_random" if random_tail else ""),
        "rrn",
        f"Korean RRN born {start}…{end} ({kind})",
        formats,
        (),
        enumerable,
        note,
        tuple((fmt, "YYMMDD-SXXXXXX" if fmt == "rrn_dash" else "YYMMDDSXXXXXX") for fmt in formats),
        start=start,
        end=end,
        sex=sex,
        random_tail=random_tail,
        foreign=foreign,
    )


@dataclass(frozen=True)
class RrnKeyspace(MaskKeyspace):
    """RRNs by birth date, one part per (date, sex digit): a birth decade holds some 7,300 parts
    per format, so they are built when a job first enumerates them, not when the plan is made
    (the blind plan holds six decades; its size and shapes need no part)."""

    start: dt.date = dt.date.min
    end: dt.date = dt.date.min
    sex: str | None = None
    random_tail: bool = False
    foreign: bool = False

    @cached_property
    def _built(self) -> dict[str, tuple[Part, ...]]:
        tail = "XXXXXX" if self.random_tail else "XXXXXC"
        days = [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]
        heads = [(f"{d.year % 100:02d}{d.month:02d}{d.day:02d}", self._sexes(d.year)) for d in days]
        return {
            fmt: tuple(
                Part(f"{ymd}{'-' if fmt == 'rrn_dash' else ''}{s}{tail}") for ymd, sexes in heads for s in sexes
            )
            for fmt in self.formats
        }

    def _sexes(self, year: int) -> tuple[str, ...]:
        return (self.sex,) if self.sex else rrn_kind.sex_digits(year, self.foreign)

    def parts(self, fmt: str) -> tuple[Part, ...]:
        try:
            return self._built[fmt]
        except KeyError:
            raise KeyError(fmt) from None

    @cached_property
    def size(self) -> int:
        """Candidates per format, counted by year (no part is built)."""
        per = 10**6 if self.random_tail else 10**5
        total = 0
        for year in range(self.start.year, self.end.year + 1):
            a = max(self.start, dt.date(year, 1, 1))
            b = min(self.end, dt.date(year, 12, 31))
            total += ((b - a).days + 1) * len(self._sexes(year)) * per
        return total

    def narrowed(self, fixed: str) -> MaskKeyspace:
        built = tuple((fmt, self.parts(fmt)) for fmt in self.formats)
        plain = MaskKeyspace(self.name, self.family, self.description, self.formats, built, self.enumerable,
                             self.note, self.display, self.prior)  # fmt: skip
        return plain.narrowed(fixed)


def numeric_range(low: int, high: int, *, width: int | None = None, name: str | None = None) -> MaskKeyspace:
    """Integers ``low``…``high``: unpadded (one part per digit count) or zero-padded to ``width``."""
    if low < 0 or high < low:
        raise ValueError("need 0 <= low <= high")
    parts: list[Part] = []
    if width is not None:
        if len(str(high)) > width:
            raise ValueError(f"{high} does not fit in {width} digits")
        parts.append(Part("X" * width, low, high + 1))
        label = f"{low}…{high} zero-padded to {width} digits"
    else:
        for digits in range(len(str(low)), len(str(high)) + 1):
            lo = max(low, 10 ** (digits - 1) if digits > 1 else 0)
            hi = min(high, 10**digits - 1)
            if lo <= hi:
                parts.append(Part("X" * digits, lo, hi + 1))
        label = f"{low}…{high}"
    return MaskKeyspace(
        name or f"numeric_{label.split()[0]}",
        "numeric",
        f"numbers {label}",
        ("plain",),
        (("plain", tuple(parts)),),
    )


def serial_ladder(max_digits: int = 10) -> list[MaskKeyspace]:
    """Account serials 1…10^d for growing d: the blind attack tries small ranges first."""
    out = [numeric_range(1, 10**6 - 1, name="serial_1e6")]
    for d in range(7, max_digits + 1):
        out.append(numeric_range(10 ** (d - 1), 10**d - 1, name=f"serial_1e{d}"))
    return out


DATE_SHAPES = {"ymd": "YYYYMMDD", "iso": "YYYY-MM-DD", "yymmdd": "YYMMDD", "ymd_dots": "YYYY.MM.DD",
               "ymd_slash": "YYYY/MM/DD"}  # fmt: skip
DATE_FORMATS = {
    "ymd": "%Y%m%d",
    "iso": "%Y-%m-%d",
    "yymmdd": "%y%m%d",
    "ymd_dots": "%Y.%m.%d",
    "ymd_slash": "%Y/%m/%d",
}


def dates(start: dt.date, end: dt.date) -> ListKeyspace:
    """Calendar dates (birth dates, sign-up dates) in the common spellings."""
    # ISO text of every day (numpy's day arithmetic spells years 1–9999 as isoformat does)
    values = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1).astype(str).tolist()
    return DateKeyspace(
        f"dates_{start:%Y}_{end:%Y}", "date", f"dates {start}…{end}", tuple(values), tuple(DATE_FORMATS)
    )


class DateKeyspace(ListKeyspace):
    """Dates rendered with ``strftime`` spellings instead of text normalisations."""

    def candidates(self, fmt: str) -> list[bytes]:
        if fmt not in self._cache:
            DATE_FORMATS[fmt]  # an unknown spelling is a KeyError, as before
            self._cache[fmt] = [_respell(v, fmt).encode() for v in self.values]
        return self._cache[fmt]


def _respell(iso: str, fmt: str) -> str:
    """An ISO date (``YYYY-MM-DD``, four-digit year) in one of :data:`DATE_FORMATS`'s spellings, by
    slicing: what ``strftime`` gives, about ten times faster over the catalogue's 40 k dates."""
    if iso[0] == "0":  # years before 1000: strftime does not pad %Y, ISO does
        return dt.date.fromisoformat(iso).strftime(DATE_FORMATS[fmt])
    if fmt == "iso":
        return iso
    if fmt == "ymd_dots":
        return iso.replace("-", ".")
    if fmt == "ymd_slash":
        return iso.replace("-", "/")
    digits = iso[:4] + iso[5:7] + iso[8:10]
    return digits if fmt == "ymd" else digits[2:]


def candidate_list(
    values: Sequence[str], kind: str = "text", *, name: str = "list", region: str = "KR"
) -> ListKeyspace:
    """A list of plaintexts (e-mails, phones, names) with the normalisations that fit its kind."""
    if kind == "email":
        formats: tuple[str, ...] = ("as_is", "trim_lower", "lower", "trim", "upper", "trim_upper")
    elif kind == "phone":
        formats = (*PHONE_FORMATS, "as_is", "trim")
    else:
        formats = ("as_is", "trim", "lower", "trim_lower", "upper", "digits_only")
    return ListKeyspace(name, kind, f"{len(values)} listed {kind} values", tuple(values), formats, region)


KEYSPACE_SPECS = (
    "kr_mobile",
    "kr_mobile_legacy",
    "kr_landline",
    "mobile:REGION[:all]",
    "rrn:YYYY-MM-DD..YYYY-MM-DD[:SEX][:random]",
    "numeric:LOW..HIGH[:WIDTH]",
    "dates:YYYY-MM-DD..YYYY-MM-DD",
)


def parse_keyspace(spec: str) -> Keyspace:
    """A keyspace from a short text spec (the CLI's ``--keyspace``); ValueError names the problem."""
    name, _, rest = spec.strip().partition(":")
    args = rest.split(":") if rest else []
    try:
        if name in ("kr_mobile", "kr_mobile_legacy", "kr_landline") and not args:
            return {"kr_mobile": kr_mobile, "kr_mobile_legacy": kr_mobile_legacy, "kr_landline": kr_landline}[name]()
        if name == "mobile" and args:
            return national_mobile(args[0], strict=not (len(args) > 1 and args[1] == "all"))
        if name in ("rrn", "dates", "numeric") and args:
            low, sep, high = args[0].partition("..")
            if not sep:
                raise ValueError("a range is written LOW..HIGH")
            if name == "numeric":
                width = int(args[1]) if len(args) > 1 else None
                return numeric_range(int(low), int(high), width=width)
            start, end = dt.date.fromisoformat(low), dt.date.fromisoformat(high)
            if name == "dates":
                return dates(start, end)
            sex = next((a for a in args[1:] if a.isdigit() and len(a) == 1), None)
            return rrn(start, end, sex=sex, random_tail="random" in args[1:])
    except (ValueError, KeyError) as err:
        raise ValueError(f"keyspace {spec!r}: {err}") from None
    raise ValueError(f"unknown keyspace {spec!r}; use one of: {', '.join(KEYSPACE_SPECS)}")
