"""Is an endpoint local? Used by the ``llm_local_only`` privacy setting.

Decided from the URL alone, without DNS (a lookup could be spoofed and would itself leave the machine):
IP literals must be loopback, private (RFC 1918 / RFC 4193) or link-local; host names must be ``localhost``,
end in ``.localhost``, ``.local``, ``.internal``, ``.lan`` or ``.home.arpa``, or be a single label (a
container or LAN host name such as ``ollama``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def host_of(url: str) -> str:
    return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()


def is_local_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host
    return ip.is_loopback or ip.is_private or ip.is_link_local


def is_local_url(url: str) -> bool:
    return is_local_host(host_of(url))
