"""E-mail addresses (RFC 5321 shape, a dotted domain with a letter TLD)."""

from datacustoms.detect.base import Detector
from datacustoms.detect.registry import register


@register
class Email(Detector):
    kind = "email"
    role = "direct_identifier"
    pattern = r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}"
    header_words = ("email", "e-mail", "mail", "이메일", "메일")
    priority = 80

    def validate(self, value: str) -> bool:
        local, _, domain = value.rpartition("@")
        return not (local.startswith(".") or local.endswith(".") or ".." in value or domain.startswith("-"))
