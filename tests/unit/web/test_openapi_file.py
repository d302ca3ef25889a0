"""The committed OpenAPI file is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from edge.cli import main
from edge.web.server import openapi_text

COMMITTED = Path(__file__).resolve().parents[3] / "edge" / "web" / "openapi.json"


def test_the_committed_openapi_file_is_what_the_routes_generate():
    assert COMMITTED.read_text() == openapi_text(), (
        "edge/web/openapi.json is stale: run "
        "`edge api openapi --out edge/web/openapi.json` and commit it"
    )


def test_edge_api_openapi_writes_the_document(tmp_path: Path, capsys):
    out = tmp_path / "openapi.json"
    assert main(["api", "openapi", "--out", str(out)]) == 0
    assert out.read_text() == openapi_text()
    assert main(["api", "openapi"]) == 0
    assert capsys.readouterr().out.endswith(openapi_text())
