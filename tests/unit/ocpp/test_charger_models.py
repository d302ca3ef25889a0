"""Charger model profiles: every shipped one loads; a bad one names its key."""

from pathlib import Path

import pytest

from edge.cli.config import check_site
from edge.ocpp import charger_models
from edge.ocpp.charger_models import Deviation, ModelProfileError, parse
from edge.ocpp.deviations import Tolerances, field_of

HEAD = 'manufacturer = "Acme"\nmodel = "One"\n'


def _deviation(**keys: str) -> str:
    rows = {
        "name": "d",
        "action": "StatusNotification",
        "field": "errorCode",
        "source": "x",
    }
    rows.update(keys)
    return HEAD + "[[deviation]]\n" + "".join(f'{k} = "{v}"\n' for k, v in rows.items())


@pytest.mark.parametrize("model_id", charger_models.ids())
def test_each_shipped_profile_loads_and_says_where_it_is_documented(model_id):
    profile = charger_models.load(model_id)
    assert profile.id == model_id
    assert all(t.source.startswith("https://") for t in profile.deviation)


def test_there_are_profiles_for_each_kind_of_deviation():
    kinds = {
        t.kind for m in charger_models.ids() for t in charger_models.load(m).deviation
    }
    assert kinds == set(Deviation)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("manufacturer = [", "not TOML"),
        (HEAD, "deviation: Field required"),
        (_deviation(kind="ignore-all"), "deviation[0].kind: Input should be"),
        (_deviation(kind="enum-alias"), "names the value spelled and taken_as"),
        (_deviation(kind="too-long", spelled="E"), "are an enum-alias's, not too-long"),
        (_deviation(kind="too-long", action="Authorize", field="idTag"), "never cut"),
        (_deviation(kind="too-long", field="idTagInfo.parentIdTag"), "never cut"),
        (_deviation(kind="naive-time-utc", field="meter Value"), "deviation[0].field"),
        (
            _deviation(kind="naive-time-utc") + "validate = false\n",
            "deviation[0].validate",
        ),
        (
            "skip_validation = true\n" + _deviation(kind="naive-time-utc"),
            "skip_validation: Extra inputs",
        ),
        (
            _deviation(kind="naive-time-utc")
            + "[[deviation]]\n"
            + 'name = "d"\nkind = "naive-time-utc"\naction = "A"\nfield = "f"\n'
            + 'source = "x"\n',
            "deviation name 'd' is used twice",
        ),
    ],
)
def test_a_bad_profile_names_the_file_and_key(text, message):
    with pytest.raises(ModelProfileError, match=r"^models/acme-one\.toml: ") as err:
        parse(text, "models/acme-one.toml")
    assert message in str(err.value)


@pytest.mark.parametrize("model_id", ["acme-nope", "../legrand-greenup", "Legrand"])
def test_an_unknown_model_lists_the_known_ones(model_id):
    with pytest.raises(ModelProfileError, match=r"unknown charger model .*known: "):
        charger_models.load(model_id)


def test_paths_read_as_a_profile_names_fields():
    assert field_of(("meterValue", 0, "sampledValue", 3, "unit")) == (
        "meterValue[].sampledValue[].unit"
    )
    assert field_of(("errorCode",)) == "errorCode"


def test_mending_copies_and_fires_each_deviation_once():
    tol = Tolerances("ocpp1.6", charger_models.load("chargeamps-halo"))
    sample = {"value": "50", "measurand": "Frequency", "unit": "Hz"}
    payload = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": "2025-03-12T13:35:37Z", "sampledValue": [dict(sample)]},
            {"timestamp": "2025-03-12T13:36:37Z", "sampledValue": [dict(sample)]},
        ],
    }
    mended = tol.mend("MeterValues", payload)
    assert mended.fired == ("unit-Hz",)
    units = [mv["sampledValue"][0]["unit"] for mv in mended.payload["meterValue"]]
    assert units == ["Hertz", "Hertz"]
    assert payload["meterValue"][0]["sampledValue"][0]["unit"] == "Hz"  # untouched


def test_too_long_is_cut_to_the_schemas_length():
    tol = Tolerances("ocpp1.6", charger_models.load("schneider-evlink-smart-wallbox"))
    serial = "EVB1A22P2RI3N182341200100350795E5"
    payload = {
        "chargePointVendor": "Schneider Electric",
        "chargePointModel": "EVlink Smart Wallbox",
        "chargeBoxSerialNumber": serial,
    }
    mended = tol.mend("BootNotification", payload)
    assert mended.payload["chargeBoxSerialNumber"] == serial[:25]
    assert mended.fired == ("chargeBoxSerialNumber-long",)


def test_a_valid_payload_or_a_charger_without_a_model_is_left_as_it_is():
    payload = {"connectorId": 1, "errorCode": "Error", "status": "Faulted"}
    assert Tolerances("ocpp1.6", None).mend("StatusNotification", payload).fired == ()
    valid = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    greenup = Tolerances("ocpp1.6", charger_models.load("legrand-greenup"))
    mended = greenup.mend("StatusNotification", valid)
    assert mended.payload is valid
    assert mended.fired == ()


def test_config_check_refuses_an_unknown_charger_model(tmp_path, capsys):
    demo = Path(__file__).parents[3] / "config" / "demo-ocpp.toml"
    text = demo.read_text().replace(
        'identity = "CP001"\n', 'identity = "CP001"\nmodel = "acme-nope"\n', 1
    )
    site = tmp_path / "site.toml"
    site.write_text(text)
    assert check_site(str(site), paths=False) is None
    err = capsys.readouterr().err
    assert "ocpp.charger[0].model" in err
    assert "unknown charger model 'acme-nope'" in err
    site.write_text(text.replace('"acme-nope"', '"legrand-greenup"'))
    assert check_site(str(site), paths=False) is not None
