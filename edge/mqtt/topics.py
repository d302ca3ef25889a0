"""The MQTT topics of a site, declared as data.

Under the site's prefix (``edge/<location_id>`` unless the site file says)::

    <prefix>/status                        online | offline (retained; the last will)
    <prefix>/evse/<uid>/status             {"status", "phase", "fault"}       retained
    <prefix>/evse/<uid>/power              {"power_w"}                        retained
    <prefix>/evse/<uid>/energy             {"energy_wh"}                      retained
    <prefix>/evse/<uid>/current_limit      {"current_limit_a", "max_current_a"} retained
    <prefix>/evse/<uid>/session            {"active", "session_id", "energy_wh",
                                            "start", "token"}                 retained
    <prefix>/evse/<uid>/set/start          command: start charging
    <prefix>/evse/<uid>/set/stop           command: stop the session
    <prefix>/evse/<uid>/set/current_limit  command: amps, or {"current_limit_a": A}
    <prefix>/evse/<uid>/result             {"command", "outcome", "message", ...}

and Home Assistant's ``<discovery_prefix>/status`` (its birth message) and
``<discovery_prefix>/<component>/<object_id>/config`` (discovery).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ONLINE = b"online"
OFFLINE = b"offline"


class StateTopic(StrEnum):
    """What an EVSE shows, one retained topic each."""

    STATUS = "status"
    POWER = "power"
    ENERGY = "energy"
    CURRENT_LIMIT = "current_limit"
    SESSION = "session"


class CommandTopic(StrEnum):
    """What may be asked of an EVSE (``<prefix>/evse/<uid>/set/<command>``)."""

    START = "start"
    STOP = "stop"
    CURRENT_LIMIT = "current_limit"


_OBJECT_ID = re.compile(r"[^A-Za-z0-9_-]")


def object_id(*parts: str) -> str:
    """A Home Assistant object id / unique id: ``[A-Za-z0-9_-]`` only."""
    return _OBJECT_ID.sub("_", "_".join(parts))


@dataclass(frozen=True)
class Topics:
    """Every topic of one site."""

    prefix: str
    discovery_prefix: str = "homeassistant"

    @property
    def availability(self) -> str:
        """``online``/``offline``, retained; ``offline`` is the client's last will."""
        return f"{self.prefix}/status"

    @property
    def ha_status(self) -> str:
        """Home Assistant's birth and will messages."""
        return f"{self.discovery_prefix}/status"

    @property
    def commands(self) -> str:
        """The subscription for every command of every EVSE."""
        return f"{self.prefix}/evse/+/set/+"

    def state(self, evse_uid: str, which: StateTopic) -> str:
        """One retained state topic of an EVSE."""
        return f"{self.prefix}/evse/{evse_uid}/{which.value}"

    def command(self, evse_uid: str, which: CommandTopic) -> str:
        """One command topic of an EVSE."""
        return f"{self.prefix}/evse/{evse_uid}/set/{which.value}"

    def result(self, evse_uid: str) -> str:
        """Where the outcome of each command to this EVSE is published."""
        return f"{self.prefix}/evse/{evse_uid}/result"

    def discovery(self, component: str, object_id: str) -> str:
        """Home Assistant's single-component discovery topic."""
        return f"{self.discovery_prefix}/{component}/{object_id}/config"

    def parse_command(self, topic: str) -> tuple[str, CommandTopic] | None:
        """``(evse_uid, command)`` of a command topic, or None for any other."""
        head = f"{self.prefix}/evse/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head) :].split("/")
        if len(parts) != 3 or parts[1] != "set" or not parts[0]:
            return None
        try:
            return parts[0], CommandTopic(parts[2])
        except ValueError:
            return None
