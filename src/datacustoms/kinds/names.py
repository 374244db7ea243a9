"""Person names in Latin script: a dictionary of given names and surnames, and a shape rule.

The dictionaries are package data (``kinds/data/``): every given name of the U.S. Census Bureau's
1990 name files and their 10,000 most frequent surnames (public domain; 71% of the population),
plus romanised Korean surnames (Revised Romanization and the spellings common in passports) and
the most frequent Chinese and Japanese surnames, which the 1990 files under-represent.

A value is name-like when it is one to five words of letters (initials, particles such as ``van``
or ``de`` and suffixes such as ``Jr.`` allowed) and

* it starts with a given name (``Maria Garcia``, ``John Q. Public``), or is written
  ``Surname, Given`` with a known given name after the comma; every other word is known
  (given name, surname, initial, particle) except at most one, an unlisted surname; or
* it holds a romanised Korean surname and the other words are romanised Hangul syllables
  (``KIM MINJUN``, ``Lee Seo-yeon``).

A single word is name-like when it is a known given name or surname; detection counts single
words only under a name header, since ``Brown``, ``Lincoln`` and ``Paris`` are surnames and
colours or cities alike. Words that say "street", "company" or "product" (``Avenue``, ``Inc``,
``Ltd``) make a value not a name.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: romanised Korean surnames (Statistics Korea, 2015 census surname table, about 99% of people;
#: Revised Romanization plus the passport spellings in common use)
KOREAN_SURNAMES = _wordset(
    """kim gim lee yi rhee park pak bak choi choe jung jeong chung kang gang cho jo yoon yun jang chang
    lim im yim han oh o seo suh shin sin kwon gwon hwang ahn an song ryu yoo yu you jeon chun cheon hong
    ko go moon mun yang son bae bai baek paek heo huh hur nam sim shim noh roh no ha kwak gwak sung seong
    cha joo ju woo wu koo gu min jin na ji eom um chae won bang kong gong hyun hyeon ham byun byeon yeom
    yeo chu do so seok suk seol sul ma gil yeon wi pyo myung myeong ki gi ban wang geum keum ok yook
    yuk in maeng je mo tak guk kook eo eun pyeon yong ye kyung gyeong bong sa bu ga bok tae mok pi du
    gam eum bin dong on ho beom bum jwa paeng seung sang si gal dan dang hwa ong soon sun bing jong ra
    rim ro namgung namkoong hwangbo jegal sunwoo seonu dokgo sagong seomun"""
)
#: romanised surnames that are also English words: not enough to call a phrase Korean (``Go home``)
KOREAN_AMBIGUOUS = _wordset("in on do so no go an o ok won sun song moon ban bang ma ha pi ye ra bu mo dan gal ho bing ong sang")
#: frequent Chinese (pinyin) and Japanese (Hepburn) surnames (national rankings, top 30 or so each)
EAST_ASIAN_SURNAMES = _wordset(
    """wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang
    xie song tang xu deng feng han cao zeng peng xiao cai pan tian dong yuan
    sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki
    yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto yamashita
    ishikawa nakajima maeda fujita ogawa goto okada hasegawa murakami kondo ishii saito sakamoto"""
)
PARTICLES = _wordset("de da del della der di dos du el la le van von bin binti al ibn mac mc st ter ten")
SUFFIXES = _wordset("jr sr ii iii iv md phd")
TITLES = _wordset("mr mrs ms miss mx dr prof sir dame")
#: words that make a value a street, a company, a product or a place rather than a person
NOT_NAME_WORDS = _wordset(
    """street st avenue ave road rd boulevard blvd lane ln drive dr court ct way place pl square highway hwy
    freeway parkway block near corner and inc llc ltd corp co company group bank hotel cafe restaurant shop
    store market mall center centre school university college hospital station airport city
    county state the of for with edition pro max mini plus ultra lite size pack set new"""
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*\.?$")
#: one romanised Hangul syllable (Revised Romanization, loosely): initial, vowel, final
_RR_SYLLABLE = (
    r"(?:kk|tt|pp|ss|jj|ch|g|k|n|d|t|r|l|m|b|p|s|j|h)?"
    r"(?:yae|yeo|wae|ae|ya|eo|ye|wa|oe|yo|wo|we|wi|yu|eu|ui|a|e|i|o|u)"
    r"(?:ng|k|n|t|l|m|p)?"
)
_RR_GIVEN = re.compile(f"(?:{_RR_SYLLABLE})(?:-?{_RR_SYLLABLE}){{1,2}}$")
#: RE2 pattern the detector's Arrow stage matches: words of letters, no digits
PATTERN = r"[^\d\s,;:@#/()]+(?:,? [^\d\s,;:@#/()]+){0,4}"  # word lengths are checked in Python
HEADER_WORDS: tuple[str, ...] = (
    "name", "first_name", "firstname", "fname", "last_name", "lastname", "lname", "surname", "forename",
    "given_name", "family_name", "fullname", "full_name", "cardholder", "holder", "payee", "beneficiary",
    "recipient", "patient", "employee", "영문명", "영문이름", "이름", "성명", "성함",
)  # fmt: skip
#: a name header on these says the values name a thing, not a person
NEGATIVE_WORDS: tuple[str, ...] = (
    "product", "company", "store", "merchant", "brand", "file", "host", "domain", "user", "login", "nick",
    "street", "road", "city", "country", "region", "bank", "item", "model", "app", "device", "table",
    "column", "field", "category", "team", "org", "business", "shop", "hotel", "school", "상품", "상호",
    "회사", "가맹점", "브랜드", "파일",
)  # fmt: skip


def _words(path: str) -> frozenset[str]:
    text = resources.files("datacustoms.kinds").joinpath("data", path).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def given_names() -> frozenset[str]:
    """Lower-case given names (1990 Census, both sexes)."""
    return _words("first_names.txt")


@cache
def surnames() -> frozenset[str]:
    """Lower-case surnames: the 10,000 most frequent of the 1990 Census, Korean and East Asian ones."""
    return _words("surnames.txt") | KOREAN_SURNAMES | EAST_ASIAN_SURNAMES


def tokens(value: str) -> list[str] | None:
    """The words of a value, lower-cased without a trailing period; None when it is not all words."""
    parts = value.replace(",", " , ").split()
    if not 1 <= len(parts) <= 6:
        return None
    words = []
    for part in parts:
        if part == ",":
            words.append(part)
            continue
        if len(part) > 30 or _WORD.match(part) is None:
            return None
        words.append(part.lower().rstrip(".").replace("’", "'"))
    return words


def _known(word: str) -> bool:
    return word in given_names() or word in surnames() or len(word) == 1 or word in PARTICLES or word in SUFFIXES


def _korean(words: list[str]) -> bool:
    """``kim minjun``, ``minjun kim``, ``lee seo-yeon``: a Korean surname and romanised syllables."""
    for i in (0, len(words) - 1):
        rest = words[:i] + words[i + 1 :]
        surname = words[i] in KOREAN_SURNAMES and words[i] not in KOREAN_AMBIGUOUS
        if surname and rest and all(_RR_GIVEN.match(w) for w in rest):
            return True
    return False


def is_full_name(value: str) -> bool:
    """Two or more words that read as a person's name (see the module text)."""
    words = tokens(value)
    if words is None or words.count(",") > 1:
        return False
    while len(words) > 2 and words[0] in TITLES:
        words = words[1:]
    if any(w in NOT_NAME_WORDS for w in words):
        return False
    if "," in words:
        at = words.index(",")
        family, given = words[:at], words[at + 1 :]
        if not family or not given:
            return False
        words = given + family
    if len(words) < 2 or len(words) > 5:
        return False
    if _korean(words):
        return True
    if words[0] not in given_names():
        return False
    unknown = sum(1 for w in words[1:] if not _known(w))
    return unknown <= 1 and not (unknown == 1 and len(words) == 2 and len(words[1]) < 3)


def is_single_name(value: str) -> bool:
    """One word that is a known given name or surname (a first- or last-name column)."""
    words = tokens(value)
    if words is None or len(words) != 1 or words[0] in NOT_NAME_WORDS:
        return False
    word = words[0]
    return word in given_names() or word in surnames()


def validate(value: str) -> bool:
    """A full name, or one known given name or surname."""
    return is_full_name(value) or is_single_name(value)


def normalise(value: str) -> str | None:
    """Lower case, single spaces (``  Maria  GARCIA`` → ``maria garcia``)."""
    text = " ".join(value.split()).lower()
    return text or None


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic full names from the dictionaries (``Given Surname``)."""
    given = sorted(given_names() - NOT_NAME_WORDS)
    family = sorted(_words("surnames.txt") - NOT_NAME_WORDS)
    return [f"{given[rng.integers(len(given))].title()} {family[rng.integers(len(family))].title()}" for _ in range(n)]
