"""What the uplink knows of the site: its party, EVSEs and tariff, from the files.

Its EVSEs are the board EVSEs, then each connector of the OCPP chargers; those
planned by price (a ``fast`` leaf of ``[load]`` with ``[load.prices]``) take
ChargingPreferences.

Read once when the uplink starts; a file that cannot be used is an
:class:`UplinkConfigError` naming the key and the file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from edge.config.schema import OcpiSection, SiteConfig
from edge.ocpi import Tariff, describe_validation_error
from edge.ocpi.party import Party
from edge.uplink.ocpi.push import mapping as m


class UplinkConfigError(Exception):
    """The [ocpi] section (or the tariff file it names) cannot be used."""


def load_tariff(path: str, party: Party) -> Tariff:
    """The tariff file as an OCPI Tariff owned by this site's party."""
    try:
        tariff = Tariff.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UplinkConfigError(f"ocpi.tariff_file: cannot read {path}: {exc}") from exc
    except ValidationError as exc:
        detail = describe_validation_error(exc, root="tariff")
        raise UplinkConfigError(f"ocpi.tariff_file {path}:\n{detail}") from exc
    owner = (tariff.country_code.upper(), tariff.party_id.upper())
    if owner != (party.country_code, party.party_id):
        raise UplinkConfigError(
            f"ocpi.tariff_file {path}: tariff of {owner[0]}*{owner[1]}, "
            f"but this site is {party}"
        )
    return tariff


def site_context(config: SiteConfig, section: OcpiSection) -> m.SiteContext:
    """What the mapping needs, from the site file and the tariff file."""
    party = Party(config.site.country_code, config.site.party_id)
    tariff = load_tariff(section.tariff_file, party) if section.tariff_file else None
    evses: dict[str, m.DeclaredEvse] = {e.uid: e for e in config.evse}
    ocpp = config.ocpp
    if ocpp is not None and ocpp.enabled:  # each charger's connector is an EVSE
        evses.update((c.evse_uid, c) for ch in ocpp.charger for c in ch.connector)
    planned: frozenset[str] = frozenset()
    if (load := config.load) is not None and load.prices is not None:
        planned = frozenset(
            leaf.uid for leaf in load.evse if (leaf.mode or load.mode) == "fast"
        )
    return m.SiteContext(
        party=party,
        site=config.site,
        evses=evses,
        currency=tariff.currency if tariff else section.currency,
        business_name=section.business_name,
        publish=section.publish,
        tariff=tariff,
        preferences=planned,
    )
