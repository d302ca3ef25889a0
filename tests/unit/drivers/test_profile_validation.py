"""Profile validation: each malformed file is rejected naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import ProfileError
from drivers.modbus.profile import Profile, load_profile_file
from edge.model.measurement import Measurement

DEVICE = """
[device]
kind = "meter"
manufacturer = "Test"
model = "T1"
"""
ROW = """
[[register]]
measurement = "{m}"
function = 4
address = {a}
type = "f32"
word_order = "big"
scale = 1.0
unit = "{u}"
"""


def row(m="power", a=0, u="W", **extra):
    text = ROW.format(m=m, a=a, u=u)
    return text + "".join(f"{k} = {v}\n" for k, v in extra.items())


def load(tmp_path: Path, text: str) -> Profile:
    path = tmp_path / "bad_model.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile_file(path)


def rejects(tmp_path: Path, text: str, key: str) -> str:
    with pytest.raises(ProfileError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "bad_model.toml" in message
    assert key in message
    return message


def test_a_good_profile_loads_in_canonical_units(tmp_path):
    profile = load(tmp_path, DEVICE + row("energy_import", 72, "kWh"))
    spec = profile.register(Measurement.ENERGY_IMPORT)
    assert spec is not None
    assert spec.scale == 1000.0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (DEVICE + row(colour='"red"'), "register[0]: unknown key 'colour'"),
        (DEVICE + row(m="watts"), "register[0].measurement"),
        (DEVICE + row(u="kWh"), "register[0].unit"),
        (DEVICE + row(u="furlong"), "register[0].unit"),
        (DEVICE + row(a=70000), "register[0].address"),
        (DEVICE + row() + row(a=10), "register[1].measurement"),
        (DEVICE + row() + row("frequency", 1, "Hz"), "register[1].address"),
        (DEVICE + row(bit=40), "register[0].bit"),
        (DEVICE + row(sf_address=3), "register[0].sf_address"),
        (DEVICE + row(channel=0), "register[0].channel"),
        (DEVICE + row(mask='"x"'), "register[0].mask"),
        (DEVICE + row(values="{ x = 1 }"), "register[0].values"),
        (DEVICE + row(not_available='["a"]'), "register[0].not_available"),
        (DEVICE + row(inverted=1), "register[0].inverted"),
        (DEVICE + "unreadable = [[0, 1]]\n" + row(), "register[0].address"),
        (DEVICE + "unreadable = [[5]]\n" + row(), "device.unreadable"),
        (
            DEVICE + "max_registers_per_request = 200\n",
            "device.max_registers_per_request",
        ),
        (DEVICE + 'absent = ["voltage_l2"]\n', "device.absent_reason"),
        (DEVICE + 'absent = ["nope"]\nabsent_reason = "x"\n', "device.absent"),
        (DEVICE + 'absent = ["power"]\nabsent_reason = "x"\n' + row(), "device.absent"),
        (DEVICE.replace('kind = "meter"', 'kind = "toaster"'), "device.kind"),
        (DEVICE.replace('model = "T1"\n', ""), "device.model: missing"),
        (
            '[device]\nkind = "meter"\nmanufacturer = 3\nmodel = "x"\n',
            "device.manufacturer",
        ),
        (
            DEVICE + '[[identity]]\nfunction = 3\naddress = 1\ntype = "u16"\n',
            "identity[0]",
        ),
        (DEVICE + "[control.x]\nfunction = 7\naddress = 1\n", "control.x.function"),
        (DEVICE + "[control.x]\naddress = 1\n", "control.x"),
        (DEVICE + '[control.x]\nvia = "nothing"\n', "control.x.via"),
        (DEVICE + "[watchdog]\nperiod = 10\n", "watchdog: unknown key 'period'"),
        (DEVICE + "[extra]\n", "unknown key 'extra'"),
    ],
)
def test_errors_name_file_and_key(tmp_path, text, key):
    rejects(tmp_path, text, key)


def test_bool_rows_need_bit_functions(tmp_path):
    text = DEVICE + row().replace('type = "f32"', 'type = "bool"').replace(
        'unit = "W"', 'unit = "bool"'
    ).replace('measurement = "power"', 'measurement = "coil"')
    rejects(tmp_path, text, "register[0].type")


def test_a_row_longer_than_one_read_is_rejected(tmp_path):
    text = (
        DEVICE
        + "max_registers_per_request = 2\n"
        + row().replace('type = "f32"', 'type = "f64"')
    )
    rejects(tmp_path, text, "register[0].length")


def test_broken_toml_names_the_file(tmp_path):
    with pytest.raises(ProfileError, match=r"bad_model\.toml"):
        load(tmp_path, "[device\n")


def test_bit_rows_may_share_one_status_word(tmp_path):
    text = (
        DEVICE
        + row("relay_closed", 7, "bool", bit=0)
        + row("board_fault", 7, "bool", bit=1)
    )
    text = text.replace('type = "f32"', 'type = "u16"').replace(
        "function = 4", "function = 3"
    )
    profile = load(tmp_path, text)
    assert [r.bit for r in profile.registers] == [0, 1]


def test_channels_let_a_measurement_repeat(tmp_path):
    coil = row("coil", 0, "bool", channel=1).replace('type = "f32"', 'type = "bool"')
    coil = coil.replace("function = 4", "function = 1")
    profile = load(
        tmp_path,
        DEVICE
        + coil
        + coil.replace("address = 0", "address = 1").replace(
            "channel = 1", "channel = 2"
        ),
    )
    spec = profile.register(Measurement.COIL, channel=2)
    assert spec is not None
    assert spec.address == 1


def test_string_rows_take_text_keys_in_values(tmp_path):
    text = DEVICE + row("cp_state", 0, "state", length=5).replace(
        'type = "f32"', 'type = "str"'
    )
    text += '[register.values]\nB1 = "B"\nC2 = "C"\n'
    spec = load(tmp_path, text).registers[0]
    assert spec.text_values == {"B1": "B", "C2": "C"}
    assert spec.values is None


def test_integer_value_keys_may_be_hex(tmp_path):
    text = DEVICE + row("cp_state", 0, "state").replace('type = "f32"', 'type = "u16"')
    text += '[register.values]\n"0x41" = "A"\n66 = "B"\n'
    assert load(tmp_path, text).registers[0].values == {65: "A", 66: "B"}
