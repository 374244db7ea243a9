"""Coordinates: latitude and longitude columns (header word and range) and ``lat,lon`` pairs.

Both are quasi-identifiers: four decimals place a person within about 11 m. The details give
the median number of decimals, so a reader sees how precise the place is.
"""

from __future__ import annotations

import dataclasses
import statistics

from datacustoms.detect.base import ColumnSample, SpecDetector, header_has, header_tokens
from datacustoms.kinds import geo
from datacustoms.kinds.builtin import GEO_POINT, LATITUDE, LONGITUDE
from datacustoms.model.findings import ColumnFinding

#: metres that one unit of the last decimal spans at the equator, by decimals kept
METRES = {0: 111_000, 1: 11_100, 2: 1_110, 3: 111, 4: 11, 5: 1.1}


def _precision(values: list[str]) -> dict[str, object]:
    median = int(statistics.median(geo.decimals(v) for v in values))
    return {"median_decimals": median, "metres": METRES.get(median, 0.1)}


class Latitude(SpecDetector, spec=LATITUDE):
    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return _precision(valid)


class Longitude(SpecDetector, spec=LONGITUDE):
    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        # "long" is a header word only as a whole token ("long", "home_long"; not "belongs")
        if header_has(sample.name, self.header_words) is None and "long" in header_tokens(sample.name):
            finding = super().match(dataclasses.replace(sample, name="lon"))
            if finding is not None:
                finding.column = sample.name
                finding.evidence[0].header_hint = "long"
            return finding
        return super().match(sample)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return _precision(valid)


class GeoPoint(SpecDetector, spec=GEO_POINT):
    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        points = [p for p in (geo.pair(v) for v in valid) if p is not None]
        # pairs of scores or probabilities in [-1, 1] are not places
        return bool(points) and any(abs(lat) > 1 or abs(lon) > 1 for lat, lon in points)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return {"wkt_share": round(sum(1 for v in valid if v.lower().startswith("point")) / len(valid), 4)}
