"""What a simulated 2.0.1 station holds: its device model, list, profiles, transactions.

Pure state (no IO), kept across reconnects; :mod:`hal_sim.ocpp.charge_point_201`
answers the central system's calls from it. The payloads come in the ``ocpp``
package's snake_case.

* **Variables**: a table of (component, variable) -> Actual value; an unknown
  pair is UnknownVariable (UnknownComponent for a component it has none of),
  a read-only one is Rejected when set. ``LocalAuthListCtrlr`` reads from the
  list: ``Entries`` is how many it holds now, ``ItemsPerMessage`` its
  per-message limit; ``BytesPerMessage`` only once a test sets it.
* **Local list**: the same :class:`hal_sim.ocpp.local_list.SimLocalList` as
  the 1.6 charger's, fed 2.0.1 entries (``idToken``, ``idTokenInfo``): a Full
  list replaces it, a Differential changes it, too many entries is Failed, a
  Differential not above its version VersionMismatch.
* **Charging profiles**: the 1.6 charger's :class:`hal_sim.ocpp.profiles.
  SimProfiles` composite, fed 2.0.1's (``ChargingStationMaxProfile`` on EVSE
  0 as 1.6's ChargePointMaxProfile on connector 0; a TxProfile only for the
  transaction running on its EVSE, else Rejected: K01.FR.09 and K01.FR.33).
* **A reboot** (:meth:`StationState.reboot`) forgets what a station holds in
  volatile memory: its running transactions and its charging profiles (the
  worst case, go-eCharger #217); the device model and local list remain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hal_sim.ocpp.local_list import SimLocalList
from hal_sim.ocpp.profiles import CP_MAX, SimProfiles

STATION_MAX = "ChargingStationMaxProfile"
LIST_CTRLR = "LocalAuthListCtrlr"


@dataclass(frozen=True)
class TokenAnswer:
    """The central system's ``idTokenInfo``."""

    status: str
    group: str | None = None


@dataclass
class Transaction:
    """A transaction the station runs (its id is the station's own)."""

    transaction_id: str
    evse_id: int
    seq_no: int = 0
    """The seqNo the next event of it carries."""


def _default_variables() -> dict[tuple[str, str], str]:
    return {
        ("OCPPCommCtrlr", "HeartbeatInterval"): "300",
        ("AuthCtrlr", "LocalAuthorizeOffline"): "true",
        ("SecurityCtrlr", "Identity"): "",
        (LIST_CTRLR, "Enabled"): "true",
    }


@dataclass
class StationState:
    """What the central system set or asked of the simulated station."""

    variables: dict[tuple[str, str], str] = field(default_factory=_default_variables)
    read_only: set[tuple[str, str]] = field(
        default_factory=lambda: {("SecurityCtrlr", "Identity")}
    )
    remote_starts: list[tuple[int, str, int | None]] = field(default_factory=list)
    """(remoteStartId, idToken, evseId) of each RequestStartTransaction."""
    remote_stops: list[str] = field(default_factory=list)
    unlocks: list[tuple[int, int]] = field(default_factory=list)
    """(evseId, connectorId) of each UnlockConnector."""
    running: dict[str, Transaction] = field(default_factory=dict)
    operations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(action, payload) of each Reset, ChangeAvailability and TriggerMessage."""
    answers: dict[str, str] = field(default_factory=dict)
    """Action -> the status it answers instead of Accepted (e.g. for a test)."""
    on_request: list[Callable[[str, dict[str, Any]], None]] = field(
        default_factory=list
    )
    """Called with (action, payload) after each accepted RequestStart/Stop."""
    local_list: SimLocalList = field(default_factory=SimLocalList)
    profiles: SimProfiles = field(default_factory=SimProfiles)
    profiles_received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """Every SetChargingProfile (evseId, chargingProfile) as sent, in order."""
    on_profile: list[Callable[[int, str], None]] = field(default_factory=list)
    """Called with (evseId, status) once each SetChargingProfile is decided."""

    def __post_init__(self) -> None:
        self.profiles.has_transaction = self._running_on

    def _running_on(self, evse_id: int) -> int | None:
        found = any(t.evse_id == evse_id for t in self.running.values())
        return 1 if found else None

    # ---- device model -------------------------------------------------------
    def _dynamic(self, key: tuple[str, str]) -> str | None:
        if key == (LIST_CTRLR, "Entries"):
            return str(len(self.local_list.entries))
        if key == (LIST_CTRLR, "ItemsPerMessage"):
            return str(self.local_list.send_max)
        return self.variables.get(key)

    def get_variable(self, component: str, variable: str) -> tuple[str, str | None]:
        """GetVariables of one Actual value: (attributeStatus, value)."""
        value = self._dynamic((component, variable))
        if value is not None:
            return "Accepted", value
        if all(c != component for c, _ in self.variables) and component != LIST_CTRLR:
            return "UnknownComponent", None
        return "UnknownVariable", None

    def set_variable(self, component: str, variable: str, value: str) -> str:
        """SetVariables of one Actual value: its attributeStatus."""
        key = (component, variable)
        if self._dynamic(key) is None:
            return "UnknownVariable"
        if key in self.read_only or (component == LIST_CTRLR and variable != "Enabled"):
            return "Rejected"
        self.variables[key] = value
        return "Accepted"

    # ---- local list ---------------------------------------------------------
    def send_local_list(
        self,
        version_number: int,
        update_type: str,
        items: list[dict[str, Any]] | None,
    ) -> str:
        """SendLocalList (2.0.1 entries); its status."""
        if self.variables.get((LIST_CTRLR, "Enabled")) != "true":
            return "Failed"
        as_16 = [
            {"idTag": i["id_token"]["id_token"]}
            if "id_token_info" not in i
            else {
                "idTag": i["id_token"]["id_token"],
                "idTagInfo": {"status": i["id_token_info"]["status"]},
            }
            for i in items or []
        ]
        return self.local_list.send_local_list(version_number, update_type, as_16)

    def authorize_offline(self, id_token: str) -> str:
        """What the station decides for ``id_token`` while it cannot reach us.

        From its local list (``Unknown`` for a card not on it: the simulated
        station does not set ``OfflineTxForUnknownIdEnabled``).
        """
        return self.local_list.authorize(id_token) or "Unknown"

    def reboot(self) -> None:
        """Power-cycled: its transactions and charging profiles are gone."""
        self.running.clear()
        self.profiles.held.clear()

    # ---- charging profiles --------------------------------------------------
    def set_profile(self, evse_id: int, p: dict[str, Any]) -> str:
        """SetChargingProfile (2.0.1 ``chargingProfile``); its status."""
        self.profiles_received.append((evse_id, p))
        status = self._set_profile(evse_id, p)
        for listener in self.on_profile:
            listener(evse_id, status)
        return status

    def _set_profile(self, evse_id: int, p: dict[str, Any]) -> str:
        purpose = str(p["charging_profile_purpose"])
        if purpose not in (STATION_MAX, "TxDefaultProfile", "TxProfile"):
            return "Rejected"  # ChargingStationExternalConstraints: not ours to set
        if purpose == "TxProfile":
            tx = self.running.get(str(p.get("transaction_id")))
            if tx is None or tx.evse_id != evse_id:
                return "Rejected"
        [schedule, *_] = p["charging_schedule"]
        as_16 = {
            "charging_profile_id": p["id"],
            "stack_level": p["stack_level"],
            "charging_profile_purpose": CP_MAX if purpose == STATION_MAX else purpose,
            "charging_profile_kind": p["charging_profile_kind"],
            "charging_schedule": schedule,
        }
        for key in ("valid_from", "valid_to"):
            if key in p:
                as_16[key] = p[key]
        return self.profiles.set_profile(evse_id, as_16)
