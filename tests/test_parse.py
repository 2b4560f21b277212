"""Thulium's loose types: every variant the document shows reads the same."""

from datetime import datetime
from zoneinfo import ZoneInfo

from crm_bridge.client import AgentInfo, AgentStatusInfo
from crm_bridge.parse import to_bool, to_datetime, to_int, to_str


def test_ints_come_as_ints_strings_or_nothing():
    assert to_int(3) == 3
    assert to_int("3") == 3
    assert to_int("3.0") == 3
    assert to_int("") is None
    assert to_int("null") is None
    assert to_int(None) is None
    assert to_int("abc") is None


def test_strings_and_bools_tolerate_empties():
    assert to_str(559933) == "559933"
    assert to_str("null") == ""
    assert to_bool("") is None
    assert to_bool("true") is True
    assert to_bool(1) is True
    assert to_bool("0") is False


def test_dates_are_local_time_in_the_tenants_zone():
    moment = to_datetime("2016-04-20 09:46:24")
    assert moment == datetime(2016, 4, 20, 9, 46, 24, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert moment.utcoffset().total_seconds() == 7200  # CEST
    assert to_datetime("2016-01-20 09:46:24").utcoffset().total_seconds() == 3600
    assert to_datetime("") is None
    assert to_datetime("0000-00-00 00:00:00") is None
    assert to_datetime("not a date") is None


def test_the_documents_automat_agent_reads_without_errors():
    row = {
        "agent_id": 1,
        "login": "",
        "name": "Automat",
        "surname": "Automat",
        "email": "",
        "active": "",
        "number": "",
        "outbound_mode": "manual",
        "group_id": "",
    }
    agent = AgentInfo.from_api(row)
    assert agent.login == "" and agent.group_id is None and agent.active is False


def test_a_status_with_string_ids_reads_as_ints():
    info = AgentStatusInfo.from_api(
        {
            "login": "jkowalski",
            "status": "paused",
            "pause_id": "2",
            "last_change": "2014-10-24 10:30:44",
        }
    )
    assert (info.status, info.pause_id) == ("PAUSED", 2)
    assert info.last_change.hour == 10
