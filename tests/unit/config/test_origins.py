"""Origins: the unit the uplink allows calls by (scheme, host, port)."""

from __future__ import annotations

import pytest

from edge.model.origins import Origin, OriginError, is_loopback, origin_of


def test_origin_fills_default_ports_and_lowercases() -> None:
    assert origin_of("HTTPS://BO.Example./ocpi") == Origin("https", "bo.example", 443)
    assert origin_of("http://[::1]:8091/x") == Origin("http", "::1", 8091)
    assert str(origin_of("http://[::1]:8091/x")) == "http://[::1]:8091"
    assert origin_of("https://a:443/") == origin_of("https://a/")
    assert origin_of("https://a:8443/") != origin_of("https://a/")
    assert origin_of("http://a/") != origin_of("https://a/")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "file: URLs"),
        ("gopher://h/", "gopher: URLs"),
        ("//h/x", "no scheme"),
        ("https:///x", "no host"),
        ("https://u:p@h/", "user name or password"),
        ("https://h:99999/", "not a valid URL"),
    ],
)
def test_unusable_urls_say_why(url: str, why: str) -> None:
    with pytest.raises(OriginError, match=why):
        origin_of(url)


def test_loopback() -> None:
    for host in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "LOCALHOST."):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "10.0.0.1", "evil.localhost", "localhost.example", ""):  # noqa: S104
        assert not is_loopback(host), host
