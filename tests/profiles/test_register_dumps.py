"""Decode every profile against its register dump and compare the panel readings.

The dumps in tests/fixtures/registers are hand-encoded from the vendors'
encodings (see each file's ``_comment``), not captures from real devices.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.modbus.decode import decode_image
from drivers.modbus.profile import Function, ProfileLibrary

DUMPS = Path(__file__).resolve().parent.parent / "fixtures" / "registers"
LIBRARY = ProfileLibrary()


def _dump(profile_id):
    return json.loads((DUMPS / f"{profile_id}.json").read_text(encoding="utf-8"))


def test_every_profile_has_a_dump():
    assert {p.stem for p in DUMPS.glob("*.json")} == set(LIBRARY.ids())


@pytest.mark.parametrize("profile_id", LIBRARY.ids())
def test_profile_decodes_its_dump_to_the_panel_readings(profile_id):
    dump = _dump(profile_id)
    assert "HAND-ENCODED" in dump["_comment"]
    profile = LIBRARY.get(profile_id)
    if profile.relative:
        profile = profile.rebased(dump["base"])
    image = {
        (Function(int(fn)), int(address)): word
        for fn, words in dump["registers"].items()
        for address, word in words.items()
    }
    decoded = {
        spec.measurement + ("" if spec.channel is None else f"#{spec.channel}"): value
        for spec, value in decode_image(profile.registers, image)
    }
    assert decoded.keys() == dump["panel"].keys()
    for key, expected in dump["panel"].items():
        if isinstance(expected, str):
            assert decoded[key] == expected, key
        else:
            assert decoded[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), key
