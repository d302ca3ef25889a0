"""The eMSP's Receiver interfaces, strict: every object validated, order enforced.

Each pushed object is validated with the OCPI 2.2.1 models (required fields,
types, lengths, enums); a PATCH is merged into the stored object and the result
validated. Order rules an eMSP relies on, answered with OCPI 2001 (or HTTP 404
for an object we never received):

* the object id in the URL is the one in the body, the country code and party id
  are the CPO's own (from its credentials);
* a PATCH carries ``last_updated``, and no change is older than what we hold (a
  replayed stale state is refused);
* a COMPLETED session does not go back to ACTIVE; a PATCH needs the PUT first;
* a CDR needs its session, in its final state, and comes once ("already exists");
* an EVSE status PATCH needs the location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from edge.ocpi import (
    CDR,
    EVSE,
    Connector,
    Location,
    Session,
    Tariff,
    describe_validation_error,
    parse_ocpi_datetime,
)
from hal_sim.backoffice.state import BackofficeState, Key, Registration

M = TypeVar("M", bound=BaseModel)
JsonObject = dict[str, object]
FINAL = ("COMPLETED", "INVALID")


@dataclass(frozen=True)
class Answer:
    """What to answer: OCPI status, message, data, HTTP status, headers."""

    status_code: int = 1000
    message: str | None = None
    data: object = None
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def bad(message: str, code: int = 2001, http_status: int = 200) -> Answer:
    """A refusal."""
    return Answer(code, message, http_status=http_status)


def unknown(what: str, code: int = 2001) -> Answer:
    """A PATCH or GET for an object we do not have."""
    return Answer(code, f"unknown {what}", http_status=404)


class Refused(Exception):
    """Raised inside a handler to answer with :attr:`answer`."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.message)
        self.answer = answer


def validated(model: type[M], data: object, what: str) -> M:
    """``data`` as ``model``, or Refused with every problem named."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = describe_validation_error(exc, root=what).replace("\n", "; ")
        raise Refused(bad(f"invalid {what}: {detail}")) from exc


def _obj(body: object, what: str) -> JsonObject:
    if not isinstance(body, dict):
        raise Refused(bad(f"{what}: the body must be a JSON object"))
    return body


def _newer_or_same(old: JsonObject, new: JsonObject, what: str) -> None:
    try:
        before = parse_ocpi_datetime(str(old["last_updated"]))
        after = parse_ocpi_datetime(str(new["last_updated"]))
    except (KeyError, ValueError) as exc:
        raise Refused(bad(f"{what}: last_updated missing or invalid")) from exc
    if after < before:
        raise Refused(
            bad(f"{what}: stale update (last_updated {after:%FT%TZ} < {before:%FT%TZ})")
        )


def _later(a: JsonObject, b: JsonObject) -> bool:
    """Whether ``a`` was updated after ``b`` (unparsable: no)."""
    try:
        return parse_ocpi_datetime(str(a["last_updated"])) > parse_ocpi_datetime(
            str(b["last_updated"])
        )
    except (KeyError, ValueError):
        return False


def _check_owner(reg: Registration, key: Key, body: JsonObject, what: str) -> None:
    cc, pid, oid = key
    if not reg.owns(cc, pid):
        raise Refused(unknown(f"party {cc}*{pid} for this client"))
    if "id" in body or "uid" in body:
        body_id = body.get("id", body.get("uid"))
        if body_id != oid:
            raise Refused(
                bad(f"{what}: id {body_id!r} in the body, {oid!r} in the URL")
            )
    for name, value in (("country_code", cc), ("party_id", pid)):
        if name in body and str(body[name]).upper() != value.upper():
            raise Refused(bad(f"{what}: {name} {body[name]!r} differs from the URL"))


def _patch_body(body: object, what: str) -> JsonObject:
    patch = _obj(body, what)
    if "last_updated" not in patch:
        raise Refused(bad(f"{what}: a PATCH must contain last_updated"))
    return patch


def _created(is_new: bool) -> Answer:
    return Answer(http_status=201 if is_new else 200)


# ---- sessions -------------------------------------------------------------------
def put_session(
    st: BackofficeState, reg: Registration, key: Key, body: object
) -> Answer:
    """PUT a whole Session."""
    data = _obj(body, "session")
    _check_owner(reg, key, data, "session")
    new = validated(Session, data, "session").model_dump_ocpi()
    old = st.sessions.get(key)
    if old is not None:
        _newer_or_same(old, new, f"session {key[2]}")
        if old["status"] in FINAL and new["status"] not in FINAL:
            raise Refused(bad(f"session {key[2]} is already {old['status']}"))
    st.sessions[key] = new
    st.wrote("PUT", "sessions", key[2], new)
    return _created(old is None)


def patch_session(
    st: BackofficeState, reg: Registration, key: Key, body: object
) -> Answer:
    """PATCH a Session we hold (charging_periods are appended)."""
    patch = _patch_body(body, f"session {key[2]}")
    _check_owner(reg, key, patch, "session")
    old = st.sessions.get(key)
    if old is None:
        raise Refused(unknown(f"session {key[2]} (PUT it first)"))
    _newer_or_same(old, patch, f"session {key[2]}")
    merged = {**old, **patch}
    added = patch.get("charging_periods")
    if isinstance(added, list):  # a PATCH appends charging periods
        merged["charging_periods"] = [*_dicts(old.get("charging_periods")), *added]
    new = validated(Session, merged, "session").model_dump_ocpi()
    if old["status"] in FINAL and new["status"] not in FINAL:
        raise Refused(bad(f"session {key[2]} is already {old['status']}"))
    st.sessions[key] = new
    st.wrote("PATCH", "sessions", key[2], new)
    return Answer()


# ---- CDRs -----------------------------------------------------------------------
def post_cdr(
    st: BackofficeState, reg: Registration, body: object, base_url: str
) -> Answer:
    """POST a new CDR (once; after its session's final state)."""
    cdr = validated(CDR, _obj(body, "cdr"), "cdr")
    key = (cdr.country_code.upper(), cdr.party_id.upper(), cdr.id)
    if not reg.owns(cdr.country_code, cdr.party_id):
        raise Refused(bad(f"cdr: party {cdr.country_code}*{cdr.party_id} is not yours"))
    location = f"{base_url}/cdrs/{key[0]}/{key[1]}/{key[2]}"
    if key in st.cdrs:
        st.duplicates.append(cdr.id)
        raise Refused(
            Answer(2001, f"CDR {cdr.id} already exists", headers={"Location": location})
        )
    if cdr.session_id is not None:
        session = st.sessions.get((key[0], key[1], cdr.session_id))
        if session is None:
            raise Refused(bad(f"CDR {cdr.id}: unknown session {cdr.session_id}"))
        if session["status"] not in FINAL:
            raise Refused(
                bad(
                    f"CDR {cdr.id} before its session's final state "
                    f"(session is {session['status']})"
                )
            )
    st.cdrs[key] = cdr.model_dump_ocpi()
    st.wrote("POST", "cdrs", cdr.id, None)
    return Answer(http_status=201, headers={"Location": location})


# ---- tariffs --------------------------------------------------------------------
def put_tariff(
    st: BackofficeState, reg: Registration, key: Key, body: object
) -> Answer:
    """PUT a whole Tariff."""
    data = _obj(body, "tariff")
    _check_owner(reg, key, data, "tariff")
    new = validated(Tariff, data, "tariff").model_dump_ocpi()
    old = st.tariffs.get(key)
    if old is not None:
        _newer_or_same(old, new, f"tariff {key[2]}")
    st.tariffs[key] = new
    st.wrote("PUT", "tariffs", key[2], new)
    return _created(old is None)


def delete_tariff(st: BackofficeState, reg: Registration, key: Key) -> Answer:
    """DELETE a Tariff."""
    _check_owner(reg, key, {}, "tariff")
    if st.tariffs.pop(key, None) is None:
        raise Refused(unknown(f"tariff {key[2]}"))
    st.wrote("DELETE", "tariffs", key[2], None)
    return Answer()


# ---- locations ------------------------------------------------------------------
def _dicts(value: object) -> list[JsonObject]:
    """A copy of a JSON list of objects (anything else: empty)."""
    if not isinstance(value, list):
        return []
    return [dict(v) for v in value if isinstance(v, dict)]


def _find(items: list[JsonObject], field_name: str, value: str) -> JsonObject | None:
    for item in items:
        if item.get(field_name) == value:
            return item
    return None


def _store_location(
    st: BackofficeState,
    key: Key,
    loc: JsonObject,
    method: str,
    what: str,
    status: object = None,
) -> None:
    new = validated(Location, loc, "location").model_dump_ocpi()
    st.locations[key] = new
    st.wrote(method, "locations", what, {"status": status, **new} if status else new)


def put_location(
    st: BackofficeState, reg: Registration, key: Key, parts: list[str], body: object
) -> Answer:
    """PUT a Location, an EVSE or a Connector."""
    data = _obj(body, "location")
    if not parts:
        _check_owner(reg, key, data, "location")
        is_new = key not in st.locations
        _store_location(st, key, data, "PUT", key[2])
        return _created(is_new)
    _check_owner(reg, key, {}, "location")
    loc = st.locations.get(key)
    if loc is None:
        raise Refused(unknown(f"location {key[2]}", 2003))
    loc = dict(loc)
    evses = _dicts(loc.get("evses"))
    if len(parts) == 1:
        evse = validated(EVSE, data, "evse").model_dump_ocpi()
        if evse["uid"] != parts[0]:
            raise Refused(bad(f"evse: uid {evse['uid']!r} differs from the URL"))
        evses = [e for e in evses if e.get("uid") != parts[0]]
        evses.append(evse)
    else:
        old_evse = _find(evses, "uid", parts[0])
        if old_evse is None:
            raise Refused(unknown(f"EVSE {parts[0]}"))
        conn = validated(Connector, data, "connector").model_dump_ocpi()
        conns = _dicts(old_evse.get("connectors"))
        conns = [c for c in conns if c.get("id") != parts[1]]
        old_evse["connectors"] = [*conns, conn]
    loc["evses"] = evses
    if _later(data, loc):
        loc["last_updated"] = data["last_updated"]
    _store_location(st, key, loc, "PUT", "/".join([key[2], *parts]))
    return Answer()


def patch_location(
    st: BackofficeState, reg: Registration, key: Key, parts: list[str], body: object
) -> Answer:
    """PATCH a Location, an EVSE or a Connector (parents' last_updated follow)."""
    what = "/".join([key[2], *parts])
    patch = _patch_body(body, f"location {what}")
    _check_owner(reg, key, patch if not parts else {}, "location")
    loc = st.locations.get(key)
    if loc is None:
        raise Refused(unknown(f"location {key[2]}", 2003))
    loc = dict(loc)
    target: JsonObject = loc
    parents: list[JsonObject] = [loc]
    if parts:
        evses = _dicts(loc.get("evses"))
        evse = _find(evses, "uid", parts[0])
        if evse is None:
            raise Refused(unknown(f"EVSE {parts[0]}"))
        target = evse
        if len(parts) == 2:
            parents.append(evse)
            conns = _dicts(evse.get("connectors"))
            conn = _find(conns, "id", parts[1])
            if conn is None:
                raise Refused(unknown(f"connector {parts[1]}"))
            evse["connectors"] = conns
            target = conn
        loc["evses"] = evses
    _newer_or_same(target, patch, f"location {what}")
    target.update(patch)
    for parent in parents:
        if _later(patch, parent):
            parent["last_updated"] = patch["last_updated"]
    _store_location(st, key, loc, "PATCH", what, patch.get("status"))
    return Answer()
