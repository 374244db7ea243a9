"""Network identifiers: IPv4 and IPv6 addresses (checked by :mod:`ipaddress`) and MAC addresses.

All three are online identifiers (GDPR Recital 30): a MAC names one device for its lifetime and an
IP address, with the provider's logs, names a subscriber. They are reported as direct identifiers
so that the default gate stops them in clear; the details say how many are private or reserved.
"""

from __future__ import annotations

import ipaddress

from datacustoms.detect.base import ColumnSample, Detector


def _address_details(valid: list[str]) -> dict[str, object]:
    addresses = [ipaddress.ip_address(v.split("%")[0]) for v in valid]
    n = len(addresses)
    return {
        "private_share": round(sum(1 for a in addresses if a.is_private) / n, 4),
        "global_share": round(sum(1 for a in addresses if a.is_global) / n, 4),
    }


class IPv4(Detector):
    kind = "ipv4"
    role = "direct_identifier"
    pattern = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
    header_words = ("ip", "ipv4", "ip_addr", "client_ip", "remote_addr", "접속ip", "아이피")
    priority = 75

    def validate(self, value: str) -> bool:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return False
        return True

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return _address_details(valid)


class IPv6(Detector):
    kind = "ipv6"
    role = "direct_identifier"
    pattern = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z]+)?"
    header_words = ("ip", "ipv6", "ip_addr", "client_ip", "remote_addr", "아이피")
    priority = 75

    def validate(self, value: str) -> bool:
        try:
            ipaddress.IPv6Address(value.split("%")[0])
        except ValueError:
            return False
        return value.count(":") >= 2

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return _address_details(valid)


class MacAddress(Detector):
    kind = "mac"
    role = "direct_identifier"
    pattern = (
        r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}"
        r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"
    )
    header_words = ("mac", "맥주소", "hwaddr", "bssid", "device_mac", "wifi")
    priority = 75

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        hexes = [v.replace(":", "").replace("-", "").replace(".", "") for v in valid]
        local = sum(1 for h in hexes if int(h[1], 16) & 0b10)
        return {"locally_administered_share": round(local / len(hexes), 4)}
