"""SSRF protection: a webhook URL may not reach loopback, private, link-local or metadata addresses.

Checked at registration and again before every attempt (DNS may change between the two). Every
address the host resolves to must be globally routable; one bad address is enough to refuse. The
attempt then connects to the address that was checked (`pinned`), never resolving the name again:
a DNS answer changed between the check and the connection (DNS rebinding) cannot point it inward.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

Resolver = Callable[[str, int], list[str]]
LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


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
    """(scheme, host, port) of an http(s) URL that httpx can send to, or UnsafeUrl."""
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UnsafeUrl("the URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise UnsafeUrl("the URL is malformed") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("the URL must start with https:// or http://")
    if not parts.hostname or not _valid_host(parts.hostname):
        raise UnsafeUrl("the URL has no valid host")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _valid_host(host: str) -> bool:
    """A DNS name of letter-digit-hyphen labels, or an IP literal."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")  # ä.fi -> xn--4ca.fi, as httpx will send it
    except UnicodeError:
        return False
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return len(host) <= 253 and all(LABEL.fullmatch(label) for label in labels)


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> list[str]:
    """Raise UnsafeUrl unless `url` is http(s) and (when private ranges are not allowed) public.

    Returns the checked addresses to connect to; none when private addresses are allowed (nothing
    to pin: the name is resolved as usual)."""
    _scheme, host, port = split_url(url)
    if allow_private:
        return []
    addresses = resolver(host, port)
    if not addresses:
        raise UnresolvableHost(f"the host {host!r} cannot be resolved")
    for address in addresses:
        if not is_public(address):
            raise UnsafeUrl("the URL resolves to a loopback, private, link-local or reserved address")
    return addresses


def pinned(url: str, addresses: list[str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL, extra headers, httpx extensions) that reach `url` at the first checked address.

    The request line and the TLS handshake keep the original name: `Host` carries it, and for
    https the SNI and the certificate check use it (httpcore's `sni_hostname`)."""
    if not addresses:
        return url, {}, {}
    original = httpx.URL(url)
    address = addresses[0].split("%", 1)[0]
    headers = {"Host": original.netloc.decode("ascii")}
    extensions = {"sni_hostname": original.host} if original.scheme == "https" else {}
    return str(original.copy_with(host=address)), headers, extensions
