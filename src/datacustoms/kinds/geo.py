"""Coordinates of a place: latitude, longitude and ``lat,lon`` pairs (quasi-identifiers).

A single number between -90 and 90 is also a score, a rate or a temperature, so a latitude or
longitude column needs its header word (``lat``, ``latitude``, ``lng``, ``경도`` …); the values then
confirm it (range, and the decimals that say how precise the place is: 4 decimals ≈ 11 m).
A pair in one cell (``37.5665, 126.9780``, ``(37.5665 126.9780)``, ``POINT(126.978 37.5665)``) is
self-evident when both halves carry at least three decimals and are in range.
"""

from __future__ import annotations

import re

import numpy as np

DECIMAL = r"[-+]?[0-9]{1,3}(?:\.[0-9]+)?"
PATTERN = DECIMAL
_PAIR = r"[-+]?[0-9]{1,3}\.[0-9]{3,}"
PAIR_PATTERN = (
    rf"[(\[]?\s*{_PAIR}\s*[,; ]\s*{_PAIR}\s*[)\]]?"
    rf"|(?i:point)\s*\(\s*{_PAIR}\s+{_PAIR}\s*\)"
)
LATITUDE_WORDS: tuple[str, ...] = ("latitude", "lat", "위도", "gps_lat", "geo_lat", "y_coord")
LONGITUDE_WORDS: tuple[str, ...] = ("longitude", "lon", "lng", "경도", "gps_lon", "geo_lon", "x_coord")
PAIR_WORDS: tuple[str, ...] = ("coordinates", "coords", "latlon", "latlng", "location", "geo", "gps", "좌표", "위치")
_NUMBERS = re.compile(r"[-+]?[0-9]{1,3}(?:\.[0-9]+)?")


def decimals(value: str) -> int:
    """Digits after the decimal point (``37.566535`` → 6)."""
    return len(value.split(".", 1)[1]) if "." in value else 0


def validate_latitude(value: str) -> bool:
    try:
        return -90.0 <= float(value) <= 90.0
    except ValueError:
        return False


def validate_longitude(value: str) -> bool:
    try:
        return -180.0 <= float(value) <= 180.0
    except ValueError:
        return False


def pair(value: str) -> tuple[float, float] | None:
    """``(lat, lon)`` of a pair cell; WKT ``POINT(lon lat)`` is read x-first. None when out of range."""
    numbers = [float(n) for n in _NUMBERS.findall(value)]
    if len(numbers) != 2:
        return None
    lat, lon = (numbers[1], numbers[0]) if value.lstrip().lower().startswith("point") else numbers
    if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        return lat, lon
    return None


def validate_pair(value: str) -> bool:
    return pair(value) is not None


def generate_latitude(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{v:.6f}" for v in rng.uniform(33.0, 38.6, n)]


def generate_longitude(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{v:.6f}" for v in rng.uniform(124.6, 131.9, n)]


def generate_pair(rng: np.random.Generator, n: int) -> list[str]:
    lat, lon = rng.uniform(33.0, 38.6, n), rng.uniform(124.6, 131.9, n)
    return [f"{a:.5f},{b:.5f}" for a, b in zip(lat, lon, strict=True)]
