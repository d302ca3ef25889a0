"""Plain http off this machine is refused unless ``[ocpi] insecure = true`` (issue 11).

``edge config check`` and ``edge run`` both refuse, naming the key and what to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.cli import main
from edge.config.schema import OcpiSection

ANY = "0.0.0.0"  # noqa: S104 - a listen address in a site file, never bound here
SITE = """\
[site]
name = "t"

[ocpi]
credentials_path = "{tmp}/c.json"
{ocpi}
"""


def site(tmp_path: Path, ocpi: str) -> str:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(tmp=tmp_path, ocpi=ocpi))
    return str(path)


def test_config_check_names_the_key_and_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site(tmp_path, 'versions_url = "http://bo.example/ocpi/versions"')
    assert main(["config", "check", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: ocpi.versions_url: http://bo.example/ocpi/versions" in err
    assert "plain http to bo.example" in err
    assert "use https://" in err
    assert "insecure = true" in err
    ok = site(tmp_path, 'versions_url = "https://bo.example/ocpi/versions"')
    assert main(["config", "check", ok]) == 0
    lab = site(
        tmp_path, 'versions_url = "http://bo.example/ocpi/versions"\ninsecure = true'
    )
    assert main(["config", "check", lab]) == 0


def test_run_refuses_a_plain_http_backoffice_given_by_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = site(tmp_path, "")
    monkeypatch.setenv("EDGE_OCPI_TOKEN_A", "A")
    flags = ["--ocpi-versions-url", "http://192.0.2.7/ocpi/versions"]
    assert main(["run", "--config", path, *flags]) == 2
    err = capsys.readouterr().err
    assert "ocpi.versions_url: http://192.0.2.7/ocpi/versions: plain http" in err


def test_transport_problems() -> None:
    bad = OcpiSection(
        versions_url="http://bo.example/ocpi/versions",
        public_url="http://203.0.113.5:8091",
        listen_host=ANY,
    )
    problems = dict(bad.transport_problems())
    assert "bo.example" in problems["ocpi.versions_url"]
    assert "203.0.113.5" in problems["ocpi.public_url"]
    assert "ocpi.listen_host" not in problems  # public_url says how we are reached
    alone = dict(OcpiSection(listen_host=ANY).transport_problems())
    assert "tls_cert_file and tls_key_file" in alone["ocpi.listen_host"]
    assert bad.model_copy(update={"insecure": True}).transport_problems() == []
    fine = OcpiSection(versions_url="https://bo.example/ocpi/versions",
                       public_url="https://cpo.example", listen_host=ANY,
                       allowed_origins=["https://r.example:8443"])  # fmt: skip
    assert fine.transport_problems() == []
    served = OcpiSection(listen_host=ANY, tls_cert_file="c", tls_key_file="k")
    assert served.transport_problems() == []
    loop = OcpiSection(versions_url="http://localhost:9/v", public_url="http://[::1]:1")
    assert loop.transport_problems() == []
    odd = OcpiSection(allowed_origins=["ftp://x", "http://bo.example"],
                      tls_cert_file="/c.pem")  # fmt: skip
    assert set(dict(odd.transport_problems())) == {
        "ocpi.allowed_origins[0]",
        "ocpi.allowed_origins[1]",
        "ocpi.tls_key_file",
    }
