"""The client's parsers on the document's own response examples, verbatim (not only on the
simulator's answers, which were written from the same reading): tests/fixtures/thulium_doc/."""

import json
from pathlib import Path

import pytest

from crm_bridge import client, outbounds
from crm_bridge.client import ThuliumAPIError, _error_from, _rows
from crm_bridge.parse import LooseJSONError, read_json

DOC = Path(__file__).parent / "fixtures" / "thulium_doc"
EXAMPLES = sorted(p.name for p in DOC.glob("*.txt"))


def example(name: str):
    value, _ = read_json((DOC / name).read_text(encoding="utf-8"))
    return value


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_in_the_document_is_read_and_each_repair_named(name):
    text = (DOC / name).read_text(encoding="utf-8")
    value, repairs = read_json(text)
    try:
        assert json.loads(text) == value and repairs == []
    except ValueError:
        assert repairs, "a body that is not strict JSON names what was repaired"
    assert isinstance(value, (dict, list))


def test_the_repairs_say_what_and_where():
    assert read_json((DOC / "get_agents_groups.txt").read_text())[1] == [
        "trailing comma at line 10"
    ]
    assert read_json((DOC / "get_outbounds__id__agents.txt").read_text())[1] == [
        "'}' closes a list at line 16"
    ]


@pytest.mark.parametrize(
    "text, where",
    [
        ('[{"login": "a"}, {"login": "b"', "line 1"),  # cut off: the rest may be missing
        ('[{"login": "a"},\n {"login": "b"}]]', "line 2"),  # stray text after the end
        ('{"login": "a" "status"}', "line 1"),  # a key without its value
        ("<html>502 Bad Gateway</html>", "line 1"),
        ('[{"login": "a"}\n {"login" "b"}]', "line 2"),
    ],
)
def test_a_body_that_would_need_guessing_is_refused_with_where(text, where):
    with pytest.raises(LooseJSONError, match=where):
        read_json(text)


def test_agents_example():
    agents = [client.AgentInfo.from_api(r) for r in _rows(example("get_agents.txt"))]
    automat, janko = agents
    assert automat.login == "" and automat.group_id is None and automat.active is False
    assert (janko.login, janko.number, janko.group_id, janko.active) == ("janko", "559933", 3, True)
    one = client.AgentInfo.from_api(example("get_agents__login.txt"))
    assert (one.login, one.surname, one.outbound_mode) == ("jkowalski", "Kowalski", "manual")


def test_agent_statuses_examples():
    rows = [client.AgentStatusInfo.from_api(r) for r in _rows(example("get_agents_statuses.txt"))]
    assert [(s.login, s.status, s.pause_id) for s in rows] == [
        ("jkowalski", "PAUSED", 1),
        ("jjanowski", "PAUSED", 2),
    ]
    assert rows[0].last_change.strftime("%Y-%m-%d %H:%M:%S") == "2014-10-24 10:30:44"
    one = client.AgentStatusInfo.from_api(example("get_agents__login__status.txt"))
    assert (one.login, one.status, one.pause_id) == ("jkowalski", "PAUSED", 1)


def test_agent_groups_example_with_its_trailing_comma():
    groups = [client.AgentGroupInfo.from_api(r) for r in _rows(example("get_agents_groups.txt"))]
    assert [(g.group_id, g.name) for g in groups] == [(1, "First group"), (2, "Second group")]


def test_campaign_list_and_stats_examples():
    (campaign,) = [outbounds.CampaignInfo.from_api(r) for r in _rows(example("get_outbounds.txt"))]
    assert (campaign.campaign_id, campaign.name, campaign.crm) == ("00002", "API test", True)
    assert (campaign.order, campaign.parity, campaign.group_id) == (100, 50, None)
    rows = _rows(example("get_outbounds__stats.txt"))
    stats = [outbounds.CampaignStats.from_api(r) for r in rows]
    assert [(s.campaign_id, s.records_count, s.completion_percent) for s in stats] == [
        ("00001", 1324, 14.87),
        ("00002", 20, 23.0),
    ]
    one = outbounds.CampaignStats.from_api(example("get_outbounds__id__stats.txt"))
    assert (one.campaign_id, one.records_count, one.completion_percent) == ("00001", 1324, 14.87)


def test_campaign_agents_example_whose_list_is_closed_by_a_brace():
    rows = _rows(example("get_outbounds__id__agents.txt"))
    agents = [outbounds.CampaignAgentInfo.from_api(r) for r in rows]
    assert [(a.login, a.number, a.active_in_outbound, a.agent_id) for a in agents] == [
        ("jkowalski", "3113", True, 12),
        ("anowak", "3422", False, 43),
    ]


def test_campaign_statuses_example_whose_list_is_closed_by_a_brace():
    rows = _rows(example("get_outbounds__id__statuses.txt"))
    statuses = [outbounds.CampaignStatusInfo.from_api(r) for r in rows]
    assert [(s.system_status, s.status_id, s.dictionary_status_id) for s in statuses] == [
        ("CALL", 3, 2),
        ("NO_CALL", 4, None),
    ]


def test_records_examples():
    page = example("get_crm_outbounds__id__records.txt")
    (record,) = [outbounds.RecordInfo.from_api(r) for r in _rows(page)]
    assert page["count"] == 1
    assert (record.record_id, record.phone_number, record.system_status) == (228, "5555", "NO_CALL")
    assert record.call_date.strftime("%Y-%m-%d %H:%M") == "2016-10-19 14:02"
    assert record.next_call_date is None and record.customer_id == 311
    one = outbounds.RecordInfo.from_api(example("get_crm_outbounds__id__records__customer_id.txt"))
    assert (one.record_id, one.customer_id, one.status) == (47, 441, "Do not call")


def test_create_clone_and_batch_delete_examples():
    assert example("post_outbounds.txt")["id"] == "09098"
    assert example("post_outbounds__id__clone.txt")["id"] == "77744"
    results = [outbounds.BatchResult.from_api(r) for r in example("delete_batch__outbounds.txt")]
    assert [(r.campaign_id, r.http_status, r.ok) for r in results] == [
        ("00001", 200, True),
        ("00002", 404, False),
        ("00003", 400, False),
    ]
    assert results[2].status == "ALREADY_QUEUED"


def test_error_example_keeps_every_message_and_the_request_id():
    import requests

    response = requests.models.Response()
    response.status_code = 400
    response._content = (DOC / "error_body.txt").read_bytes()
    error = _error_from(response)
    assert isinstance(error, ThuliumAPIError) and error.request_id == "53678450401cf"
    assert error.message == "Wrong format of phone number.; Duplicated customer name."
    assert [e["code"] for e in error.errors] == [111111, 222222]
    assert not error.transient


def test_work_report_and_customer_examples_for_the_reports_and_call_context():
    (row,) = example("get_agents_work_report.txt")
    assert row["agent"]["login"] == "jkowalski"  # unquoted in the document
    (customer,) = example("get_customers.txt")
    assert customer["emails"] == ["jan.kowalski@foo.bar", "j.kowalski@foo.bar"]
    assert example("get_companies__id.txt")["custom_fields"]["Additional info"] == "none"


# The same examples as Thulium's answer over HTTP (the simulator's /_sim/fault answers the
# text as it is), through every client function that reads a body.
CALLS = [
    ("GET", "agents", "get_agents.txt", lambda: client.get_agents(), ["janko"]),
    ("GET", "agents/jkowalski", "get_agents__login.txt", lambda: client.get_agent("jkowalski"), 3),
    (
        "GET",
        "agents/jkowalski/status",
        "get_agents__login__status.txt",
        lambda: client.get_agent_status("jkowalski"),
        "PAUSED",
    ),
    (
        "GET",
        "agents_statuses",
        "get_agents_statuses.txt",
        lambda: client.get_agent_statuses(),
        ["jkowalski", "jjanowski"],
    ),
    ("GET", "agents_groups", "get_agents_groups.txt", lambda: client.get_agent_groups(), [1, 2]),
    ("GET", "outbounds", "get_outbounds.txt", lambda: outbounds.get_campaigns(), ["00002"]),
    (
        "GET",
        "outbounds/stats",
        "get_outbounds__stats.txt",
        lambda: outbounds.get_all_stats(),
        ["00001", "00002"],
    ),
    (
        "GET",
        "outbounds/00001/stats",
        "get_outbounds__id__stats.txt",
        lambda: outbounds.get_stats("00001"),
        "00001",
    ),
    (
        "GET",
        "outbounds/00001/agents",
        "get_outbounds__id__agents.txt",
        lambda: outbounds.get_campaign_agents("00001"),
        ["jkowalski", "anowak"],
    ),
    (
        "GET",
        "outbounds/00001/statuses",
        "get_outbounds__id__statuses.txt",
        lambda: outbounds.get_campaign_statuses("00001"),
        ["CALL", "NO_CALL"],
    ),
    (
        "GET",
        "crm_outbounds/00001/records",
        "get_crm_outbounds__id__records.txt",
        lambda: outbounds.get_records("00001", crm=True),
        [228],
    ),
    (
        "POST",
        "outbounds",
        "post_outbounds.txt",
        lambda: outbounds.create_campaign({"name": "X", "dialer": "preview", "crm": True}),
        "09098",
    ),
    (
        "POST",
        "outbounds/00001/clone",
        "post_outbounds__id__clone.txt",
        lambda: outbounds.clone_campaign("00001", {"name": "Y"}),
        "77744",
    ),
    (
        "DELETE",
        "batch/outbounds",
        "delete_batch__outbounds.txt",
        lambda: outbounds.delete_campaigns(["00001", "00002", "00003"]),
        ["REMOVAL_QUEUED", "NOT_EXIST", "ALREADY_QUEUED"],
    ),
]


def _key(result):
    """What each call's answer is checked by."""
    if isinstance(result, outbounds.RecordPage):
        return [r.record_id for r in result.records]
    if isinstance(result, list):
        first = result[0] if result else None
        if isinstance(first, client.AgentGroupInfo):
            return [g.group_id for g in result]
        if isinstance(first, outbounds.BatchResult):
            return [r.status for r in result]
        if isinstance(first, outbounds.CampaignStatusInfo):
            return [s.system_status for s in result]
        if isinstance(first, outbounds.CampaignInfo | outbounds.CampaignStats):
            return [c.campaign_id for c in result]
        return [r.login for r in result]
    if isinstance(result, client.AgentInfo):
        return result.group_id
    if isinstance(result, client.AgentStatusInfo):
        return result.status
    if isinstance(result, outbounds.CampaignStats):
        return result.campaign_id
    return result


@pytest.mark.parametrize("method, path, name, call, expected", CALLS, ids=[c[1] for c in CALLS])
def test_each_client_call_reads_the_documents_example_as_thuliums_answer(
    simulator, method, path, name, call, expected
):
    status = {"POST": 201, "DELETE": 207}.get(method, 200)
    body = (DOC / name).read_text(encoding="utf-8")
    simulator.control("fault", {"method": method, "path": path, "status": status, "body": body})
    try:
        assert _key(call()) == expected
    finally:
        simulator.control("fault", {})


def test_the_documents_error_example_as_thuliums_answer(simulator):
    body = (DOC / "error_body.txt").read_text(encoding="utf-8")
    body = body.replace('"code": 222222\n        }', '"code": 222222\n        },')  # and a slip
    simulator.control(
        "fault", {"method": "GET", "path": "agents_groups", "status": 400, "body": body}
    )
    try:
        with pytest.raises(ThuliumAPIError) as raised:
            client.get_agent_groups()
    finally:
        simulator.control("fault", {})
    assert raised.value.status == 400 and raised.value.request_id == "53678450401cf"
    assert raised.value.message == "Wrong format of phone number.; Duplicated customer name."
