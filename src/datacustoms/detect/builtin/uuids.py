"""UUIDs and mobile advertising IDs (IDFA / GAID / ADID).

A UUID column is reported as a ``pseudonym`` by default: it is usually a random internal key that
only the sender can resolve. With an advertising header (``adid``, ``idfa``, ``gaid``, ``광고``,
``device_id`` …) the role is ``direct_identifier``: an advertising ID is the very key ad-tech
platforms use to recognise a device across apps, so the recipient can resolve it without the
sender (FTC and EDPB treat it as personal data). The header alone decides between the two,
because the values have the same shape; the finding says so.
"""

from __future__ import annotations

import uuid as uuidlib

from datacustoms.detect.base import ColumnSample, Detector, header_has
from datacustoms.model.findings import ColumnFinding

AD_WORDS = ("adid", "ad_id", "idfa", "gaid", "aaid", "advertising", "광고", "device_id", "deviceid", "maid")


class Uuid(Detector):
    kind = "uuid"
    role = "pseudonym"
    pattern = (
        r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
        r"|[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}|[0-9A-F]{12}[1-8][0-9A-F]{3}[89AB][0-9A-F]{15}"
    )
    header_words = ("uuid", "guid", *AD_WORDS)
    priority = 85

    def validate(self, value: str) -> bool:
        try:
            parsed = uuidlib.UUID(value)
        except ValueError:
            return False
        # 32 hex digits without dashes count only with an RFC 4122 version and variant: an MD5
        # digest has them by chance once in 64 values, a uuid4().hex column always
        return "-" in value or (parsed.variant == uuidlib.RFC_4122 and 1 <= (parsed.version or 0) <= 8)

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        found = super().match(sample)
        if found is not None and header_has(sample.name, AD_WORDS):
            found.role = "direct_identifier"
            found.details["advertising_id"] = True
        elif found is not None:
            found.uncertain = (
                "a random internal key (pseudonym) and an advertising ID (direct identifier for "
                "ad-tech) look the same; name the column adid/idfa/gaid if it is one"
            )
        return found

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        versions: dict[str, int] = {}
        for value in valid:
            version = str(uuidlib.UUID(value).version or 0)
            versions[version] = versions.get(version, 0) + 1
        return {
            "versions": {k: round(v / len(valid), 4) for k, v in sorted(versions.items())},
            "advertising_id": False,
            "upper_case": any(c.isupper() for c in "".join(valid[:50])),
            "without_dashes_share": round(sum(1 for v in valid if "-" not in v) / len(valid), 4),
        }
