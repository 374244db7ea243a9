"""Vectorised generators of Korean personal data: names, regions and postcodes, mobiles, RRNs, emails.

Every function takes a numpy ``Generator`` and a row count and returns whole columns (numpy arrays
or Arrow arrays) built without per-row Python loops, so a million customers take about a second.
The frequencies are approximate public figures (census surname shares, regional population) or
stated assumptions; see ``docs/scenario.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.kinds import phones
from datacustoms.kinds import rrn as rrn_kind

# ---------------------------------------------------------------------------------------------
# string building helpers (Arrow compute kernels, no Python loop per row)


def take(values: list[str], index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string array."""
    return pa.array(values, pa.string()).take(pa.array(index, pa.int64()))


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal strings of ``width`` characters."""
    return pc.utf8_lpad(pc.cast(pa.array(values, pa.int64()), pa.string()), width=width, padding="0")


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (or scalars) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def first_occurrence_mask(keys: pa.Array | np.ndarray) -> np.ndarray:
    """True for the first row holding each distinct key, False for later duplicates."""
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False) if isinstance(keys, pa.Array) else keys
    _, first = np.unique(codes, return_index=True)
    mask = np.zeros(len(codes), dtype=bool)
    mask[first] = True
    return mask


def _weights(values: list[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64)
    return w / w.sum()


# ---------------------------------------------------------------------------------------------
# names

#: (hangul, romanisation, share in %) — the 2015 census shares of the 50 commonest surnames
SURNAMES: list[tuple[str, str, float]] = [
    ("김", "kim", 21.5), ("이", "lee", 14.7), ("박", "park", 8.4), ("최", "choi", 4.7),
    ("정", "jung", 4.3), ("강", "kang", 2.4), ("조", "cho", 2.1), ("윤", "yoon", 2.1),
    ("장", "jang", 2.0), ("임", "lim", 1.7), ("한", "han", 1.5), ("오", "oh", 1.5),
    ("서", "seo", 1.5), ("신", "shin", 1.5), ("권", "kwon", 1.4), ("황", "hwang", 1.4),
    ("안", "ahn", 1.4), ("송", "song", 1.3), ("전", "jeon", 1.1), ("홍", "hong", 1.1),
    ("유", "yoo", 1.1), ("고", "ko", 0.9), ("문", "moon", 0.9), ("양", "yang", 0.9),
    ("손", "son", 0.9), ("배", "bae", 0.8), ("백", "baek", 0.7), ("허", "heo", 0.6),
    ("남", "nam", 0.5), ("심", "sim", 0.5), ("노", "noh", 0.4), ("하", "ha", 0.4),
    ("곽", "kwak", 0.4), ("성", "sung", 0.4), ("차", "cha", 0.4), ("주", "joo", 0.4),
    ("우", "woo", 0.4), ("구", "koo", 0.4), ("민", "min", 0.3), ("류", "ryu", 0.3),
    ("나", "na", 0.3), ("진", "jin", 0.3), ("지", "ji", 0.3), ("엄", "eom", 0.3),
    ("채", "chae", 0.3), ("원", "won", 0.3), ("천", "cheon", 0.2), ("방", "bang", 0.2),
    ("공", "kong", 0.2), ("현", "hyun", 0.2),
]  # fmt: skip

#: (hangul, romanisation, weight as first / second syllable for men, first / second for women):
#: common given-name syllables, shaped after frequent names (민준, 서연, 지훈, 영희, …)
GIVEN_SYLLABLES: list[tuple[str, str, float, float, float, float]] = [
    ("민", "min", 8, 6, 6, 5), ("준", "jun", 4, 9, 0, 0.5), ("서", "seo", 5, 3, 9, 4),
    ("도", "do", 4, 1, 0, 0), ("예", "ye", 2, 0, 3, 0), ("시", "si", 2, 0, 0, 0),
    ("하", "ha", 3, 0, 5, 0), ("주", "joo", 3, 1, 2, 2), ("지", "ji", 5, 1, 9, 5),
    ("현", "hyun", 5, 7, 3, 5), ("건", "gun", 3, 1, 0, 0), ("우", "woo", 2, 7, 0, 3),
    ("성", "sung", 5, 2, 0, 0), ("동", "dong", 4, 1, 0, 0), ("재", "jae", 4, 1, 0, 0),
    ("상", "sang", 4, 1, 0, 0), ("영", "young", 4, 2, 3, 5), ("정", "jung", 4, 1, 3, 2),
    ("진", "jin", 3, 4, 1, 5), ("승", "seung", 4, 0, 0, 0), ("태", "tae", 3, 0, 0, 0),
    ("종", "jong", 3, 0, 0, 0), ("용", "yong", 2, 1, 0, 0), ("윤", "yoon", 1, 5, 4, 6),
    ("원", "won", 0, 5, 0, 4), ("호", "ho", 0, 6, 0, 0), ("후", "hoo", 0, 3, 0, 0),
    ("수", "su", 1, 5, 5, 3), ("혁", "hyuk", 0, 4, 0, 0), ("훈", "hoon", 0, 5, 0, 0),
    ("석", "seok", 0, 4, 0, 0), ("철", "chul", 0, 2, 0, 0), ("기", "ki", 0, 2, 0, 0),
    ("빈", "bin", 0, 1, 0, 3), ("규", "gyu", 0, 2, 0, 0), ("채", "chae", 0, 0, 4, 0),
    ("은", "eun", 0, 0, 5, 5), ("혜", "hye", 0, 0, 4, 0), ("미", "mi", 0, 0, 4, 0),
    ("유", "yu", 0, 0, 3, 0), ("소", "so", 0, 0, 3, 0), ("다", "da", 0, 0, 2, 0),
    ("선", "sun", 0, 0, 2, 0), ("경", "kyung", 1, 0, 2, 3), ("연", "yeon", 0, 0, 0, 8),
    ("아", "a", 0, 0, 0, 4), ("희", "hee", 0, 0, 0, 5), ("린", "rin", 0, 0, 0, 2),
]  # fmt: skip


@dataclass(frozen=True)
class Names:
    """Name columns for ``n`` people (Arrow string arrays)."""

    hangul: pa.Array  # 김민준
    surname_roman: pa.Array  # kim
    given_roman: pa.Array  # minjun
    initials: pa.Array  # mj (of the given name)


def names(rng: np.random.Generator, female: np.ndarray) -> Names:
    """Korean names: a surname by census share, then two different given-name syllables weighted
    by sex and position."""
    n = len(female)
    surname = rng.choice(len(SURNAMES), size=n, p=_weights([s[2] for s in SURNAMES]))
    w = np.array([g[2:] for g in GIVEN_SYLLABLES], dtype=np.float64)  # m1, m2, f1, f2
    picks = []
    for position in (0, 1):
        male_p, female_p = _weights(w[:, position]), _weights(w[:, 2 + position])
        picks.append(
            np.where(
                female,
                rng.choice(len(GIVEN_SYLLABLES), size=n, p=female_p),
                rng.choice(len(GIVEN_SYLLABLES), size=n, p=male_p),
            )
        )
    s1, s2 = picks
    for _ in range(100):  # no doubled syllable (지지): redraw the second one
        same = np.flatnonzero(s1 == s2)
        if not len(same):
            break
        k = len(same)
        male_p, female_p = _weights(w[:, 1]), _weights(w[:, 3])
        s2[same] = np.where(
            female[same],
            rng.choice(len(GIVEN_SYLLABLES), size=k, p=female_p),
            rng.choice(len(GIVEN_SYLLABLES), size=k, p=male_p),
        )
    hangul = [g[0] for g in GIVEN_SYLLABLES]
    roman = [g[1] for g in GIVEN_SYLLABLES]
    return Names(
        hangul=join(take([s[0] for s in SURNAMES], surname), take(hangul, s1), take(hangul, s2)),
        surname_roman=take([s[1] for s in SURNAMES], surname),
        given_roman=join(take(roman, s1), take(roman, s2)),
        initials=join(take([r[0] for r in roman], s1), take([r[0] for r in roman], s2)),
    )


# ---------------------------------------------------------------------------------------------
# regions and postcodes

#: 시/도, population in millions (2020 census, rounded), and 시/군/구 with the first three digits
#: of their 5-digit postcodes (basic-zone numbers since Aug 2015). Every block lies inside the
#: province's real two-digit range; the district blocks are a simplified table (major districts
#: only, boundaries approximate), enough to keep postcode, district and province consistent.
REGIONS: list[tuple[str, float, list[tuple[str, int, int]]]] = [
    ("서울특별시", 9.67, [
        ("강북구", 10, 12), ("도봉구", 13, 14), ("노원구", 16, 18), ("중랑구", 20, 22),
        ("동대문구", 24, 26), ("성북구", 27, 28), ("종로구", 30, 32), ("은평구", 33, 35),
        ("서대문구", 36, 37), ("마포구", 39, 41), ("용산구", 43, 44), ("중구", 45, 46),
        ("성동구", 47, 48), ("광진구", 49, 50), ("강동구", 52, 54), ("송파구", 55, 58),
        ("강남구", 60, 63), ("서초구", 65, 68), ("동작구", 69, 70), ("영등포구", 72, 74),
        ("강서구", 75, 78), ("양천구", 79, 81), ("구로구", 82, 83), ("금천구", 85, 86),
        ("관악구", 87, 88),
    ]),
    ("부산광역시", 3.39, [
        ("기장군", 460, 461), ("금정구", 462, 464), ("북구", 465, 466), ("강서구", 467, 468),
        ("사상구", 469, 470), ("부산진구", 471, 473), ("연제구", 475, 476), ("동래구", 477, 478),
        ("해운대구", 479, 481), ("수영구", 482, 483), ("남구", 484, 486), ("동구", 487, 488),
        ("중구", 489, 489), ("영도구", 490, 491), ("서구", 492, 492), ("사하구", 493, 495),
    ]),
    ("대구광역시", 2.42, [
        ("동구", 410, 411), ("북구", 412, 416), ("서구", 417, 418), ("중구", 419, 419),
        ("수성구", 420, 423), ("남구", 424, 425), ("달서구", 426, 428), ("달성군", 429, 430),
    ]),
    ("인천광역시", 2.94, [
        ("계양구", 210, 211), ("부평구", 212, 214), ("남동구", 215, 217), ("연수구", 218, 220),
        ("미추홀구", 221, 222), ("중구", 223, 224), ("동구", 225, 225), ("서구", 226, 229),
        ("강화군", 230, 230), ("옹진군", 231, 231),
    ]),
    ("광주광역시", 1.45, [
        ("북구", 610, 613), ("동구", 614, 615), ("남구", 616, 617), ("서구", 618, 619),
        ("광산구", 620, 624),
    ]),
    ("대전광역시", 1.46, [
        ("유성구", 340, 342), ("대덕구", 343, 344), ("동구", 345, 346), ("중구", 348, 349),
        ("서구", 350, 353),
    ]),
    ("울산광역시", 1.14, [
        ("동구", 440, 440), ("북구", 441, 442), ("중구", 443, 444), ("남구", 445, 447),
        ("울주군", 448, 450),
    ]),
    ("세종특별자치시", 0.36, [("세종시", 300, 301)]),
    ("경기도", 13.43, [
        ("김포시", 100, 101), ("고양시", 102, 105), ("파주시", 108, 109), ("연천군", 110, 110),
        ("포천시", 111, 112), ("동두천시", 113, 113), ("양주시", 114, 115), ("의정부시", 116, 117),
        ("구리시", 119, 119), ("남양주시", 120, 122), ("가평군", 124, 124), ("양평군", 125, 125),
        ("여주시", 126, 126), ("광주시", 127, 128), ("하남시", 129, 130), ("성남시", 131, 136),
        ("과천시", 138, 138), ("안양시", 139, 141), ("광명시", 142, 143), ("부천시", 144, 147),
        ("시흥시", 149, 151), ("안산시", 153, 156), ("군포시", 158, 158), ("의왕시", 160, 160),
        ("수원시", 162, 166), ("용인시", 168, 171), ("이천시", 173, 174), ("안성시", 175, 176),
        ("평택시", 177, 180), ("오산시", 181, 181), ("화성시", 182, 186),
    ]),
    ("강원도", 1.54, [
        ("철원군", 240, 240), ("춘천시", 243, 244), ("속초시", 248, 248), ("홍천군", 251, 251),
        ("횡성군", 252, 252), ("강릉시", 254, 255), ("동해시", 257, 257), ("삼척시", 259, 259),
        ("태백시", 260, 260), ("원주시", 263, 264),
    ]),
    ("충청북도", 1.60, [
        ("제천시", 271, 272), ("충주시", 273, 274), ("음성군", 276, 277), ("진천군", 278, 278),
        ("괴산군", 280, 280), ("청주시", 281, 288), ("보은군", 289, 289), ("옥천군", 290, 290),
        ("영동군", 291, 291),
    ]),
    ("충청남도", 2.12, [
        ("천안시", 310, 312), ("아산시", 314, 315), ("당진시", 317, 318), ("서산시", 319, 320),
        ("태안군", 321, 321), ("홍성군", 322, 323), ("예산군", 324, 324), ("공주시", 325, 326),
        ("계룡시", 328, 328), ("논산시", 329, 330), ("부여군", 331, 331), ("보령시", 334, 335),
        ("서천군", 336, 336),
    ]),
    ("전라북도", 1.80, [
        ("군산시", 540, 542), ("김제시", 543, 543), ("익산시", 544, 546), ("전주시", 548, 551),
        ("완주군", 553, 553), ("남원시", 557, 558), ("정읍시", 561, 562), ("고창군", 565, 565),
    ]),
    ("전라남도", 1.85, [
        ("영광군", 570, 570), ("담양군", 573, 573), ("광양시", 577, 577), ("순천시", 579, 580),
        ("나주시", 582, 582), ("무안군", 585, 585), ("목포시", 586, 587), ("해남군", 590, 590),
        ("여수시", 596, 597),
    ]),
    ("경상북도", 2.64, [
        ("영주시", 361, 361), ("울진군", 363, 363), ("안동시", 367, 368), ("문경시", 369, 369),
        ("상주시", 371, 371), ("포항시", 376, 379), ("경주시", 380, 381), ("영천시", 383, 383),
        ("경산시", 385, 386), ("구미시", 391, 394), ("김천시", 395, 396), ("칠곡군", 398, 399),
    ]),
    ("경상남도", 3.34, [
        ("거창군", 501, 501), ("밀양시", 504, 504), ("양산시", 505, 506), ("김해시", 508, 510),
        ("창원시", 511, 516), ("함안군", 520, 520), ("사천시", 525, 525), ("진주시", 526, 528),
        ("통영시", 530, 531), ("거제시", 532, 533),
    ]),
    ("제주특별자치도", 0.67, [("제주시", 630, 633), ("서귀포시", 635, 637)]),
]  # fmt: skip

#: the real first-two-digit postcode range of each 시/도 (basic-zone numbers, since Aug 2015)
PROVINCE_POSTCODE_RANGES: dict[str, tuple[int, int]] = {
    "서울특별시": (1, 9), "경기도": (10, 18), "인천광역시": (21, 23), "강원도": (24, 26),
    "충청북도": (27, 29), "세종특별자치시": (30, 30), "충청남도": (31, 33), "대전광역시": (34, 35),
    "경상북도": (36, 40), "대구광역시": (41, 43), "울산광역시": (44, 45), "부산광역시": (46, 49),
    "경상남도": (50, 53), "전라북도": (54, 56), "전라남도": (57, 60), "광주광역시": (61, 62),
    "제주특별자치도": (63, 63),
}  # fmt: skip

PROVINCES: list[str] = [r[0] for r in REGIONS]
PROVINCE_WEIGHTS: np.ndarray = _weights([r[1] for r in REGIONS])
_DISTRICTS: list[tuple[int, str, int, int]] = [
    (p, name, lo, hi) for p, (_, _, ds) in enumerate(REGIONS) for name, lo, hi in ds
]


@dataclass(frozen=True)
class Addresses:
    """Where each person lives: province index (into ``PROVINCES``), names and postcode."""

    province_index: np.ndarray
    province: pa.Array
    district: pa.Array
    postcode: pa.Array


def addresses(rng: np.random.Generator, n: int) -> Addresses:
    """A 시/도 by population, a 시/군/구 within it (by postal-block count), a postcode inside it."""
    province = rng.choice(len(REGIONS), size=n, p=PROVINCE_WEIGHTS)
    d_prov = np.array([d[0] for d in _DISTRICTS])
    d_lo = np.array([d[2] for d in _DISTRICTS])
    d_size = np.array([d[3] - d[2] + 1 for d in _DISTRICTS])
    # choose a district within the province, weighted by the number of 3-digit blocks it holds
    district = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for p in range(len(REGIONS)):
        rows = np.flatnonzero(province == p)
        members = np.flatnonzero(d_prov == p)
        cum = np.cumsum(d_size[members]) / d_size[members].sum()
        district[rows] = members[np.minimum(np.searchsorted(cum, u[rows], side="right"), len(cum) - 1)]
    block = d_lo[district] + (rng.random(n) * d_size[district]).astype(np.int64)
    postcode = block * 100 + rng.integers(0, 100, size=n)
    return Addresses(
        province_index=province,
        province=take(PROVINCES, province),
        district=take([d[1] for d in _DISTRICTS], district),
        postcode=digits(postcode, 5),
    )


# ---------------------------------------------------------------------------------------------
# mobile numbers

LEGACY_PREFIXES = tuple(phones.TRUNK + p for p in phones.LEGACY_MOBILE_PREFIXES)
_LEGACY_SPACE = 800 * 10_000 + 9_000 * 10_000  # 3-digit middle 200-999, 4-digit 1000-9999


@dataclass(frozen=True)
class Mobiles:
    """Mobile numbers split into their three blocks (Arrow strings): ``010``, ``1234``, ``5678``."""

    prefix: pa.Array
    middle: pa.Array
    last: pa.Array

    def formatted(self, phone_format: str) -> pa.Array:
        """The numbers written one way: digits, dashes, e164 or e164-space."""
        if phone_format == "digits":
            return join(self.prefix, self.middle, self.last)
        if phone_format == "dashes":
            return join(self.prefix, "-", self.middle, "-", self.last)
        national = pc.utf8_slice_codeunits(self.prefix, 1)  # 010 -> 10
        if phone_format == "e164":
            return join("+" + phones.COUNTRY_CODE, national, self.middle, self.last)
        if phone_format == "e164-space":
            return join("+" + phones.COUNTRY_CODE + " ", national, "-", self.middle, "-", self.last)
        raise ValueError(f"unknown phone format {phone_format!r}")


def mobiles(rng: np.random.Generator, n: int, legacy_share: float = 0.02) -> Mobiles:
    """Unique issued Korean mobiles: 010 with a middle block >= 2000, plus a few legacy 01X numbers.

    Uniqueness comes from sampling without replacement within each keyspace (010: 8x10^7 issued
    numbers; legacy 011/016/017/018/019 with a 3-digit middle 200-999 or a 4-digit middle).
    """
    legacy = rng.random(n) < legacy_share
    n_legacy = int(legacy.sum())
    new = rng.choice(80_000_000, size=n - n_legacy, replace=False) + 20_000_000
    old = rng.choice(len(LEGACY_PREFIXES) * _LEGACY_SPACE, size=n_legacy, replace=False)
    prefix = np.zeros(n, dtype=np.int64)  # index: 0 = "010", 1.. = LEGACY_PREFIXES
    middle = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    middle[~legacy] = new // 10_000
    last[~legacy] = new % 10_000
    prefix[legacy] = 1 + old // _LEGACY_SPACE
    rest = old % _LEGACY_SPACE
    short = rest < 800 * 10_000
    middle[legacy] = np.where(short, 200 + rest // 10_000, 1000 + (rest - 800 * 10_000) // 10_000)
    last[legacy] = rest % 10_000
    mid_str = pc.cast(pa.array(middle), pa.string())  # 3-digit middles stay 3 digits
    return Mobiles(prefix=take(["010", *LEGACY_PREFIXES], prefix), middle=mid_str, last=digits(last, 4))


# ---------------------------------------------------------------------------------------------
# resident registration numbers

rrn_check_digit = rrn_kind.check_digits  # the one rule, in datacustoms.kinds.rrn


def rrns(rng: np.random.Generator, birth: np.ndarray, female: np.ndarray, foreign: np.ndarray) -> pa.Array:
    """Valid, unique RRNs ``YYMMDD-SNNNNNC`` for people born on ``birth`` (datetime64[D]).

    S is 1/2 (born 1900s) or 3/4 (2000s) for citizens, 5/6 or 7/8 for foreign residents; the
    next four digits are a birth-registration area code, then a serial digit, then the check
    digit (numbers issued before Oct 2020 all carry it, and every adult here was born earlier).
    Collisions are redrawn until the numbers are unique.
    """
    n = len(birth)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    sex = np.where(year >= 2000, 3, 1) + female.astype(np.int64) + np.where(foreign, 4, 0)
    date_part = (year % 100) * 10_000 + month * 100 + day
    area = rng.integers(0, 96, size=n) * 100 + rng.integers(0, 100, size=n)
    serial = rng.integers(0, 10, size=n)
    for _ in range(100):
        key = (date_part * 10 + sex) * 100_000 + area * 10 + serial
        dup = ~first_occurrence_mask(key)
        if not dup.any():
            break
        k = int(dup.sum())
        area[dup] = rng.integers(0, 96, size=k) * 100 + rng.integers(0, 100, size=k)
        serial[dup] = rng.integers(0, 10, size=k)
    else:  # pragma: no cover - would need more people than registration numbers
        raise RuntimeError("could not draw unique registration numbers")
    first12 = (key[:, None] // 10 ** np.arange(11, -1, -1, dtype=np.int64)) % 10
    check = rrn_check_digit(first12)
    return join(digits(date_part, 6), "-", digits(key % 1_000_000, 6), digits(check, 1))


# ---------------------------------------------------------------------------------------------
# email addresses

#: domain, share — the assumed mix (no reliable public shares exist; see docs/scenario.md)
EMAIL_DOMAINS: list[tuple[str, float]] = [
    ("naver.com", 35.0), ("gmail.com", 25.0), ("hanmail.net", 13.0), ("daum.net", 7.0),
    ("kakao.com", 7.0), ("nate.com", 5.0), ("hotmail.com", 2.0), ("yahoo.co.kr", 1.5),
    ("icloud.com", 1.5), ("outlook.com", 1.0), ("korea.com", 1.0), ("empas.com", 0.5),
    ("paran.com", 0.5),
]  # fmt: skip


def emails(
    rng: np.random.Generator,
    person: Names,
    birth: np.ndarray,
    mixed_case_share: float = 0.04,
) -> pa.Array:
    """Unique email addresses built from romanised names and digits, with the assumed domain mix.

    About ``mixed_case_share`` of the addresses are stored as typed (``Minjun.Kim@Naver.com``),
    so that the export's email-case choice changes their digests. Uniqueness is case-insensitive;
    a clash gets extra digits until no two customers share an address.
    """
    n = len(birth)
    yy = digits((birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100, 2)
    mmdd = pc.utf8_slice_codeunits(pc.cast(pa.array(birth), pa.string()), 5)  # "MM-DD"
    mmdd = pc.replace_substring(mmdd, "-", "")
    sur, given, ini = person.surname_roman, person.given_roman, person.initials
    rand4 = digits(rng.integers(0, 10_000, size=n), 4)
    rand2 = digits(rng.integers(0, 100, size=n), 2)
    rand3 = pc.cast(pa.array(rng.integers(1, 1000, size=n)), pa.string())
    patterns = [
        join(given, sur, yy),  # minjunkim87
        join(sur, given),  # kimminjun
        join(given, ".", sur),  # minjun.kim
        join(sur, ini, rand4),  # kimmj1234
        join(given, "_", rand2),  # minjun_07
        join(ini, sur, mmdd),  # mjkim0312
        join(sur, given, rand3),  # kimminjun123
        join(given, yy, mmdd),  # minjun870312
    ]
    choice = rng.choice(len(patterns), size=n, p=_weights([14, 10, 10, 18, 14, 12, 14, 8]))
    local = pc.choose(pa.array(choice, pa.int8()), *patterns)
    domain = take(
        [d[0] for d in EMAIL_DOMAINS],
        rng.choice(len(EMAIL_DOMAINS), size=n, p=_weights([d[1] for d in EMAIL_DOMAINS])),
    )
    for _ in range(100):
        address = join(local, "@", domain)
        dup = ~first_occurrence_mask(pc.utf8_lower(address))
        if not dup.any():
            break
        extra = pc.cast(pa.array(rng.integers(0, 1000, size=n)), pa.string())
        local = pc.if_else(pa.array(dup), join(local, extra), local)
    else:  # pragma: no cover - cannot happen with 10^3 fresh choices per round
        raise RuntimeError("could not draw unique email addresses")
    mixed = rng.random(n) < mixed_case_share
    typed = join(pc.utf8_capitalize(local), "@", pc.utf8_capitalize(domain))
    return pc.if_else(pa.array(mixed), typed, address)
