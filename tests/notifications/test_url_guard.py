"""SSRF guard: only http(s) URLs with sendable hosts; with private ranges refused, only public addresses."""
from __future__ import annotations

import pytest

from notifications.url_guard import UnresolvableHost, UnsafeUrl, check_url, is_public


@pytest.mark.parametrize("url", [
    "https://te.example.fi/hook?token=x", "http://1.2.3.4:8080/", "https://hyvinkää.fi/hook", "https://a.fi./",
    "http://[2001:db8::1]/",
])
def test_well_formed_urls_pass_when_private_ranges_are_allowed(url):
    check_url(url, allow_private=True)


@pytest.mark.parametrize("url", [
    "ftp://x.fi/", "javascript:alert(1)", "https://", "http://a b/", "http://a/\x00", "http://-x.fi/",
    "http://a..b/", "http://ex_ample.fi/", "http://" + "a" * 1900 + "!/", "http://x.fi:0x50/", "//x.fi/hook",
])
def test_malformed_urls_are_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("address, public", [
    ("93.184.215.14", True), ("2a00:1450:4010:c0e::64", True), ("127.0.0.1", False), ("10.1.2.3", False),
    ("172.16.0.1", False), ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("224.0.0.251", False), ("240.0.0.1", False), ("::1", False), ("fe80::1%eth0", False),
    ("fc00::1", False), ("::ffff:10.0.0.1", False), ("ff02::1", False),
])
def test_public_addresses(address, public):
    assert is_public(address) is public


def test_a_host_with_any_private_address_is_refused_and_an_unknown_one_is_unresolvable():
    with pytest.raises(UnsafeUrl, match="private"):
        check_url("https://x.fi/", allow_private=False, resolver=lambda h, p: ["93.184.215.14", "10.0.0.1"])
    with pytest.raises(UnresolvableHost):
        check_url("https://x.fi/", allow_private=False, resolver=lambda h, p: [])
    check_url("https://x.fi/", allow_private=False, resolver=lambda h, p: ["93.184.215.14"])
