"""SSRF protection: a webhook URL may not reach loopback, private, link-local or metadata addresses.

Checked at registration and again before every attempt (DNS may change between the two). Every
address the host resolves to must be globally routable; one bad address is enough to refuse.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    """The URL is malformed, not http(s), unresolvable or points at a non-public address."""


class UnresolvableHost(UnsafeUrl):
    """DNS gave no answer: refused at registration, a network failure (retried) at delivery."""


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise UnresolvableHost(f"the host {host!r} cannot be resolved") from exc
    return [info[4][0] for info in infos]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, RFC 1918, link-local (169.254.169.254), CGNAT, reserved, unspecified.
    return ip.is_global and not ip.is_multicast


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or UnsafeUrl."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("the URL is malformed") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("the URL must start with https:// or http://")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Raise UnsafeUrl unless `url` is http(s) and (when private ranges are not allowed) public."""
    _scheme, host, port = split_url(url)
    if allow_private:
        return
    addresses = resolver(host, port)
    if not addresses:
        raise UnresolvableHost(f"the host {host!r} cannot be resolved")
    for address in addresses:
        if not is_public(address):
            raise UnsafeUrl("the URL resolves to a loopback, private, link-local or reserved address")
