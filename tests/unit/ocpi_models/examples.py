"""Example objects from the OCPI 2.2.1 specification, as JSON text.

Written out from the spec's examples (``examples/*.json`` and the module chapters).
Where a spec example is not valid 2.2.1 it is corrected and the change is noted.
"""

from __future__ import annotations

import json
from typing import Any

LOCATION = """
{
  "country_code": "BE", "party_id": "BEC", "id": "LOC1", "publish": true,
  "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A", "city": "Gent",
  "postal_code": "9000", "country": "BEL",
  "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
  "parking_type": "ON_STREET",
  "evses": [
    {"uid": "3256", "evse_id": "BE*BEC*E041503001", "status": "AVAILABLE",
     "capabilities": ["RESERVABLE"],
     "connectors": [
       {"id": "1", "standard": "IEC_62196_T2", "format": "CABLE",
        "power_type": "AC_3_PHASE", "max_voltage": 220, "max_amperage": 16,
        "tariff_ids": ["11"], "last_updated": "2015-03-16T10:10:02Z"},
       {"id": "2", "standard": "IEC_62196_T2", "format": "SOCKET",
        "power_type": "AC_3_PHASE", "max_voltage": 220, "max_amperage": 16,
        "tariff_ids": ["13"], "last_updated": "2015-03-18T08:12:01Z"}],
     "physical_reference": "1", "floor_level": "-1",
     "last_updated": "2015-06-28T08:12:01Z"},
    {"uid": "3257", "evse_id": "BE*BEC*E041503002", "status": "RESERVED",
     "capabilities": ["RESERVABLE"],
     "connectors": [
       {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
        "power_type": "AC_3_PHASE", "max_voltage": 220, "max_amperage": 16,
        "tariff_ids": ["12"], "last_updated": "2015-06-29T20:39:09Z"}],
     "physical_reference": "2", "floor_level": "-2",
     "last_updated": "2015-06-29T20:39:09Z"}],
  "operator": {"name": "BeCharged"},
  "time_zone": "Europe/Brussels",
  "last_updated": "2015-06-29T20:39:09Z"
}
"""

LOCATION_LIMITED_VISIBILITY = """
{
  "country_code": "NL", "party_id": "ALL", "id": "f76c2e0c-a6ef-4f67-bf23-6a187e5ca0e0",
  "publish": false,
  "publish_allowed_to": [
    {"visual_number": "12345-67", "issuer": "NewMotion"},
    {"visual_number": "0055375624", "issuer": "ANWB"},
    {"uid": "12345678905880", "type": "RFID"}],
  "name": "Water State", "address": "Taco van der Veenplein 12", "city": "Leeuwarden",
  "postal_code": "8923 EM", "country": "NLD",
  "coordinates": {"latitude": "53.213763", "longitude": "5.804638"},
  "parking_type": "UNDERGROUND_GARAGE",
  "evses": [
    {"uid": "8c1b3487-61ac-40a7-a367-21eee99dbd90", "evse_id": "NL*ALL*EGO0000013",
     "status": "AVAILABLE",
     "connectors": [
       {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
        "power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 16,
        "last_updated": "2019-09-27T00:19:45Z"}],
     "last_updated": "2019-09-27T00:19:45Z"}],
  "time_zone": "Europe/Amsterdam",
  "last_updated": "2019-09-27T00:19:45Z"
}
"""

LOCATION_OPENING_HOURS = """
{
  "country_code": "SE", "party_id": "EVC", "id": "cbb0df21-d17d-40ba-a4aa-dc588c8f98cb",
  "publish": true, "name": "P-Huset Leonard", "address": "Claesgatan 6",
  "city": "Malmö", "postal_code": "214 26", "country": "SWE",
  "coordinates": {"latitude": "55.590325", "longitude": "13.008307"},
  "parking_type": "PARKING_GARAGE",
  "evses": [
    {"uid": "eccb8dd9-4189-433e-b100-cc0945dd17dc", "evse_id": "SE*EVC*E000000123",
     "status": "AVAILABLE",
     "connectors": [
       {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
        "power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 32,
        "last_updated": "2017-03-07T02:21:22Z"}],
     "last_updated": "2017-03-07T02:21:22Z"}],
  "time_zone": "Europe/Stockholm",
  "opening_times": {
    "twentyfourseven": false,
    "regular_hours": [
      {"weekday": 1, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 2, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 3, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 4, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 5, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 6, "period_begin": "07:00", "period_end": "18:00"},
      {"weekday": 7, "period_begin": "07:00", "period_end": "18:00"}]},
  "charging_when_closed": true,
  "last_updated": "2017-03-07T02:21:22Z"
}
"""

# The spec's short-finished Session; its ENERGY volumes (120, 41000) are Wh written
# into a kWh dimension, kept as printed since they are valid numbers.
SESSION = """
{
  "country_code": "BE", "party_id": "BEC", "id": "101",
  "start_date_time": "2015-06-29T22:39:09Z", "end_date_time": "2015-06-29T23:50:16Z",
  "kwh": 41.0,
  "cdr_token": {"country_code": "NL", "party_id": "TST", "uid": "123abc",
                "type": "RFID", "contract_id": "NL-TST-C12345678-S"},
  "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "3256",
  "connector_id": "1", "currency": "EUR",
  "charging_periods": [
    {"start_date_time": "2015-06-29T22:39:09Z",
     "dimensions": [{"type": "ENERGY", "volume": 120},
                    {"type": "MAX_CURRENT", "volume": 30}]},
    {"start_date_time": "2015-06-29T22:40:54Z",
     "dimensions": [{"type": "ENERGY", "volume": 41000},
                    {"type": "MIN_CURRENT", "volume": 34}]},
    {"start_date_time": "2015-06-29T23:07:09Z",
     "dimensions": [{"type": "PARKING_TIME", "volume": 0.718}],
     "tariff_id": "12"}],
  "total_cost": {"excl_vat": 8.5, "incl_vat": 9.35},
  "status": "COMPLETED",
  "last_updated": "2015-06-29T23:09:10Z"
}
"""

SESSION_START = """
{
  "country_code": "NL", "party_id": "STK", "id": "101",
  "start_date_time": "2020-03-09T10:17:09Z", "kwh": 0.0,
  "cdr_token": {"country_code": "NL", "party_id": "TST", "uid": "123abc",
                "type": "RFID", "contract_id": "NL-TST-C12345678-S"},
  "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "3256",
  "connector_id": "1", "currency": "EUR",
  "total_cost": {"excl_vat": 2.5},
  "status": "PENDING",
  "last_updated": "2020-03-09T10:17:09Z"
}
"""

# The spec's CDR example (its coordinates have latitude and longitude swapped, but
# both still match the patterns, so it is kept as printed).
CDR = """
{
  "country_code": "BE", "party_id": "BEC", "id": "12345",
  "start_date_time": "2015-06-29T21:39:09Z", "end_date_time": "2015-06-29T23:37:32Z",
  "cdr_token": {"country_code": "DE", "party_id": "TNM", "uid": "012345678",
                "type": "RFID", "contract_id": "DE8ACC12E46L89"},
  "auth_method": "WHITELIST",
  "cdr_location": {
    "id": "LOC1", "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A",
    "city": "Gent", "postal_code": "9000", "country": "BEL",
    "coordinates": {"latitude": "3.729944", "longitude": "51.047599"},
    "evse_uid": "3256", "evse_id": "BE*BEC*E041503003", "connector_id": "1",
    "connector_standard": "IEC_62196_T2", "connector_format": "SOCKET",
    "connector_power_type": "AC_1_PHASE"},
  "currency": "EUR",
  "tariffs": [
    {"country_code": "BE", "party_id": "BEC", "id": "12", "currency": "EUR",
     "elements": [{"price_components": [
        {"type": "TIME", "price": 2, "vat": 10, "step_size": 300}]}],
     "last_updated": "2015-02-02T14:15:01Z"}],
  "charging_periods": [
    {"start_date_time": "2015-06-29T21:39:09Z",
     "dimensions": [{"type": "TIME", "volume": 1.973}], "tariff_id": "12"}],
  "total_cost": {"excl_vat": 4, "incl_vat": 4.4},
  "total_energy": 15.342,
  "total_time": 1.973,
  "total_time_cost": {"excl_vat": 4, "incl_vat": 4.4},
  "last_updated": "2015-06-29T22:01:13Z"
}
"""

TOKEN_RFID = """
{
  "country_code": "DE", "party_id": "TNM", "uid": "012345678", "type": "RFID",
  "contract_id": "DE8ACC12E46L89", "visual_number": "DF000-2001-8999-1",
  "issuer": "TheNewMotion", "group_id": "DF000-2001-8999", "valid": true,
  "whitelist": "ALLOWED", "language": "it", "default_profile_type": "GREEN",
  "energy_contract": {"supplier_name": "Greenpeace Energy eG",
                      "contract_id": "0123456789"},
  "last_updated": "2018-12-10T17:25:10Z"
}
"""

TOKEN_APP_USER = """
{
  "country_code": "DE", "party_id": "TNM",
  "uid": "bdf21bce-fc97-11e8-8eb2-f2801f1b9fd1", "type": "APP_USER",
  "contract_id": "DE8ACC12E46L89", "issuer": "TheNewMotion",
  "valid": true, "whitelist": "ALLOWED", "last_updated": "2018-12-10T17:16:15Z"
}
"""

AUTHORIZATION_INFO = (
    '{"allowed": "ALLOWED", "token": '
    + TOKEN_RFID
    + ', "location": {"location_id": "LOC1", "evse_uids": ["3256", "3257"]},'
    ' "authorization_reference": "567890"}'
)

# tariff_4_complex (the spec's complex tariff example).
TARIFF = """
{
  "country_code": "DE", "party_id": "ALL", "id": "14", "currency": "EUR",
  "type": "REGULAR", "tariff_alt_url": "https://company.com/tariffs/14",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 2.5, "vat": 15, "step_size": 1}]},
    {"price_components": [{"type": "TIME", "price": 1, "vat": 20, "step_size": 900}],
     "restrictions": {"max_current": 32}},
    {"price_components": [{"type": "TIME", "price": 2, "vat": 20, "step_size": 600}],
     "restrictions": {"min_current": 32, "day_of_week": [
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "TIME", "price": 1.25, "vat": 20, "step_size": 600}],
     "restrictions": {"min_current": 32, "day_of_week": ["SATURDAY", "SUNDAY"]}},
    {"price_components": [
        {"type": "PARKING_TIME", "price": 5, "vat": 10, "step_size": 300}],
     "restrictions": {"start_time": "09:00", "end_time": "18:00", "day_of_week": [
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [
        {"type": "PARKING_TIME", "price": 6, "vat": 10, "step_size": 300}],
     "restrictions": {"start_time": "10:00", "end_time": "17:00",
                      "day_of_week": ["SATURDAY"]}}],
  "last_updated": "2015-06-29T20:39:09Z"
}
"""

TARIFF_ALT_TEXT = """
{
  "country_code": "DE", "party_id": "ALL", "id": "12", "currency": "EUR",
  "type": "AD_HOC_PAYMENT",
  "tariff_alt_text": [{"language": "en", "text": "2.00 euro p/hour including VAT."},
                      {"language": "nl", "text": "2.00 euro p/uur inclusief BTW."}],
  "elements": [{"price_components": [
      {"type": "TIME", "price": 1.9, "vat": 5.2, "step_size": 300}]}],
  "last_updated": "2015-06-29T20:39:09Z"
}
"""

TARIFF_MAX_PRICE = """
{
  "country_code": "DE", "party_id": "ALL", "id": "16", "currency": "EUR",
  "max_price": {"excl_vat": 10, "incl_vat": 11},
  "elements": [{"price_components": [
      {"type": "FLAT", "price": 0.5, "vat": 20, "step_size": 1},
      {"type": "ENERGY", "price": 0.25, "vat": 10, "step_size": 1}]}],
  "end_date_time": "2019-06-30T23:59:59Z",
  "last_updated": "2018-12-17T17:15:01Z"
}
"""

START_SESSION = (
    """
{
  "response_url": "https://www.server.com/ocpi/emsp/2.2.1/commands/START_SESSION/1234",
  "token": """
    + TOKEN_RFID
    + """,
  "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1",
  "authorization_reference": "567890"
}
"""
)

RESERVE_NOW = (
    """
{
  "response_url": "https://www.server.com/ocpi/emsp/2.2.1/commands/RESERVE_NOW/1235",
  "token": """
    + TOKEN_APP_USER
    + """,
  "expiry_date": "2018-12-10T18:25:10Z", "reservation_id": "R123",
  "location_id": "LOC1", "evse_uid": "3256"
}
"""
)

STOP_SESSION = """
{"response_url": "https://www.server.com/ocpi/emsp/2.2.1/commands/STOP_SESSION/1236",
 "session_id": "101"}
"""

UNLOCK_CONNECTOR = """
{"response_url": "https://www.server.com/ocpi/emsp/2.2.1/commands/UNLOCK_CONNECTOR/1",
 "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1"}
"""

CANCEL_RESERVATION = """
{"response_url": "https://www.server.com/ocpi/emsp/2.2.1/commands/CANCEL/1",
 "reservation_id": "R123"}
"""

COMMAND_RESPONSE = """
{"result": "ACCEPTED", "timeout": 30,
 "message": [{"language": "en", "text": "Forwarded to the charger."}]}
"""

COMMAND_RESULT = '{"result": "EVSE_OCCUPIED"}'

VERSION_DETAILS = """
{
  "version": "2.2.1",
  "endpoints": [
    {"identifier": "credentials", "role": "SENDER",
     "url": "https://example.com/ocpi/2.2.1/credentials/"},
    {"identifier": "locations", "role": "SENDER",
     "url": "https://example.com/ocpi/cpo/2.2.1/locations/"},
    {"identifier": "tokens", "role": "RECEIVER",
     "url": "https://example.com/ocpi/cpo/2.2.1/tokens/"},
    {"identifier": "nltnm-rates", "role": "SENDER",
     "url": "https://example.com/ocpi/cpo/2.2.1/nltnm-rates/"}]
}
"""

VERSION = '{"version": "2.2.1", "url": "https://www.server.com/ocpi/2.2.1/"}'

CREDENTIALS = """
{
  "token": "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2",
  "url": "https://example.com/ocpi/versions/",
  "roles": [{"role": "CPO", "party_id": "EXA", "country_code": "NL",
             "business_details": {"name": "Example Operator",
                                  "website": "https://example.com"}}]
}
"""

ENVELOPE_ERROR = """
{"status_code": 2001, "status_message": "Missing required field: type",
 "timestamp": "2015-06-30T21:59:59Z"}
"""


def load(text: str) -> dict[str, Any]:
    """Parse one example."""
    data: dict[str, Any] = json.loads(text)
    return data
