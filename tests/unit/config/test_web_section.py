"""The [web] section (edge.config.web) and the API token's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.config.runtime import runtime_problems
from edge.config.schema import SiteConfig
from edge.config.web import ApiTokenFileError, read_api_token
from edge.web.token import ApiToken, WebConfigError


def _site(web: dict) -> SiteConfig:
    return SiteConfig.model_validate({"site": {"name": "x"}, "web": web})


def test_loopback_needs_no_tls():
    site = _site({})
    assert site.web is not None
    assert (site.web.listen_host, site.web.listen_port) == ("127.0.0.1", 8080)
    assert not site.web.tls


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ({"listen_host": "192.0.2.7"}, "API token in clear text"),
        ({"listen_host": "192.0.2.1", "tls_cert_file": "c"}, "give both"),
        ({"tls_key_file": "k"}, "give both"),
        ({"listen_port": 70000}, "listen_port"),
        ({"token": "x"}, "token"),
    ],
)
def test_unsafe_or_unknown_settings_are_refused(web: dict, message: str):
    with pytest.raises(ValidationError, match=message):
        _site(web)


def test_off_loopback_with_tls_or_insecure_is_allowed():
    assert _site({"listen_host": "192.0.2.7", "insecure": True}).web is not None
    tls = {"tls_cert_file": "c.pem", "tls_key_file": "k.pem"}
    web = _site({"listen_host": "192.0.2.1", **tls}).web
    assert web is not None
    assert web.tls


def _token_file(tmp_path: Path, text: str, mode: int = 0o600) -> str:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_the_token_is_read_from_a_private_file(tmp_path: Path):
    path = _token_file(tmp_path, "0123456789abcdef0123\n")
    assert read_api_token(path) == "0123456789abcdef0123"
    token = ApiToken.from_file(path)
    assert token.matches("0123456789abcdef0123")
    assert not token.matches("0123456789abcdef012")
    assert not token.matches("")
    assert "0123" not in repr(token)


@pytest.mark.parametrize(
    ("text", "mode", "message"),
    [
        ("short\n", 0o600, "shorter than 16"),
        ("0123456789abcdef 0123\n", 0o600, "on one line, without spaces"),
        ("0123456789abcdef\n0123\n", 0o600, "on one line"),
        ("0123456789abcdef0123\n", 0o644, "every user may read it"),
    ],
)
def test_a_bad_token_file_is_refused_naming_the_key(
    tmp_path: Path, text: str, mode: int, message: str
):
    path = _token_file(tmp_path, text, mode)
    with pytest.raises(ApiTokenFileError, match=message) as err:
        read_api_token(path)
    assert str(err.value).startswith("web.token_file: ")
    with pytest.raises(WebConfigError, match=message):
        ApiToken.from_file(path)


def test_no_token_file_lets_no_one_in():
    token = ApiToken(None)
    assert not token.configured
    assert not token.matches("")


def test_edge_config_check_names_the_token_file(tmp_path: Path):
    missing = str(tmp_path / "nope")
    config = _site({"token_file": missing, "tls_cert_file": missing,
                    "tls_key_file": missing})  # fmt: skip
    problems = dict(runtime_problems(config, store_path=None))
    assert "cannot read the API token" in problems["web.token_file"]
    assert "web.tls_cert_file" in problems
    assert "web.tls_key_file" in problems
