"""``edge tariff quote TARIFF.json CDR.json`` on the OCPI 2.2.1 spec examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge.cli import main
from tests.unit.ocpi_models import examples as ex

COST_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy",
    "total_energy_cost",
    "total_time",
    "total_time_cost",
    "total_parking_time",
    "total_parking_cost",
    "total_reservation_cost",
)


def spec_cdr(**changes: Any) -> dict[str, Any]:
    """cdr_example.json without its cost fields."""
    cdr: dict[str, Any] = json.loads(ex.CDR)
    for name in COST_FIELDS:
        cdr.pop(name, None)
    return cdr | changes


def write(tmp_path: Path, name: str, obj: object) -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=1))
    return str(path)


def quote(
    capsys: pytest.CaptureFixture[str], tariff: str, cdr: str
) -> tuple[int, str, str]:
    code = main(["tariff", "quote", tariff, cdr])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_spec_cdr_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tariff = write(tmp_path, "tariff.json", json.loads(ex.CDR)["tariffs"][0])
    cdr = write(tmp_path, "cdr.json", spec_cdr())
    code, out, err = quote(capsys, tariff, cdr)
    assert (code, err) == (0, "")
    costs = json.loads(out)
    assert costs["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert costs["total_time_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert costs["total_time"] == 1.973
    assert costs["total_energy"] == 0
    assert costs["total_parking_cost"] == {"excl_vat": 0, "incl_vat": 0}
    assert set(costs) >= set(COST_FIELDS) - {"total_reservation_cost"}


def t4_monday(**location: Any) -> dict[str, Any]:
    """Example 13: Monday 09:30 local, 165 min at <= 16 A, then 42 min parking."""
    cdr = spec_cdr(
        start_date_time="2024-01-15T08:30:00Z",
        end_date_time="2024-01-15T11:57:00Z",
        charging_periods=[
            {
                "start_date_time": "2024-01-15T08:30:00Z",
                "tariff_id": "12",
                "dimensions": [
                    {"type": "ENERGY", "volume": 20},
                    {"type": "TIME", "volume": 2.75},
                    {"type": "MAX_CURRENT", "volume": 16},
                ],
            },
            {
                "start_date_time": "2024-01-15T11:15:00Z",
                "tariff_id": "12",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.7}],
            },
        ],
    )
    cdr["cdr_location"] |= location
    return cdr


def test_spec_complex_tariff_monday(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tariff = write(tmp_path, "t4.json", json.loads(ex.TARIFF) | {"id": "12"})
    cdr = write(tmp_path, "cdr.json", t4_monday(time_zone="Europe/Amsterdam"))
    code, out, _ = quote(capsys, tariff, cdr)
    assert code == 0
    costs = json.loads(out)
    assert costs["total_cost"] == {"excl_vat": 9, "incl_vat": 10.3}
    assert costs["total_fixed_cost"] == {"excl_vat": 2.5, "incl_vat": 2.875}
    assert costs["total_time_cost"] == {"excl_vat": 2.75, "incl_vat": 3.3}
    assert costs["total_parking_cost"] == {"excl_vat": 3.75, "incl_vat": 4.125}


def test_missing_time_zone_names_the_cdr_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tariff = write(tmp_path, "t4.json", json.loads(ex.TARIFF) | {"id": "12"})
    cdr = write(tmp_path, "cdr.json", t4_monday())
    code, out, err = quote(capsys, tariff, cdr)
    assert (code, out) == (2, "")
    assert err.startswith(f"{cdr}: cdr.cdr_location.time_zone: required field")


@pytest.mark.parametrize(
    ("which", "content", "expected"),
    [
        ("tariff", "{", "tariff: invalid JSON"),
        ("tariff", {"id": "12"}, "tariff.currency: required field is missing"),
        ("cdr", "[]", "cdr: input should be an object"),
        ("cdr", "currency=USD", "cdr.currency: 'USD' is not the tariff's 'EUR'"),
        ("cdr", "huge", "a number is out of range"),
    ],
)
def test_bad_input_exits_2_with_file_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    which: str,
    content: object,
    expected: str,
) -> None:
    tariff_obj: object = json.loads(ex.CDR)["tariffs"][0]
    cdr_obj: object = spec_cdr()
    if content == "currency=USD":
        cdr_obj = spec_cdr(currency="USD")
    elif content == "huge":
        cdr_obj = spec_cdr()
        cdr_obj["charging_periods"][0]["dimensions"][0]["volume"] = 1e300
    elif which == "tariff":
        tariff_obj = content
    else:
        cdr_obj = content
    tariff = write(tmp_path, "tariff.json", tariff_obj)
    cdr = write(tmp_path, "cdr.json", cdr_obj)
    code, out, err = quote(capsys, tariff, cdr)
    assert (code, out) == (2, "")
    named = {"tariff": tariff, "cdr": cdr}[which]
    line = next(line for line in err.splitlines() if expected in line)
    assert named in line.split(": ", 1)[0]


def test_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cdr = write(tmp_path, "cdr.json", spec_cdr())
    code, _, err = quote(capsys, str(tmp_path / "missing.json"), cdr)
    assert code == 2
    assert err.strip() == (
        f"{tmp_path / 'missing.json'}: cannot read the tariff file: "
        "No such file or directory"
    )
    code, _, err = quote(capsys, cdr, str(tmp_path))
    assert code == 2
    assert "cannot read the CDR file: Is a directory" in err
