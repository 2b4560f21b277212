"""Who is calling: Thulium's CRM as the document gives it (the simulator over HTTP and the
document's own examples), looked up once per number, cached, rate limited, and shown on the
agent's row and in the queue tile's waiting calls without the screens ever asking Thulium."""

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from crm_bridge import customers
from crm_bridge.pipeline import process_pending
from crm_bridge.signals import Changes
from crm_bridge.tasks import identify_callers
from dashboard.board import board_context
from dashboard.queues import queue_stats
from tests.test_queue_metrics import deliver

pytestmark = pytest.mark.django_db
DOC = Path(__file__).parent / "fixtures" / "thulium_doc"


def _person(simulator, offset=100) -> dict:
    (person,) = simulator.api("GET", "customers", params={"limit": 1, "offset": offset}).json()
    return person


def _counts(simulator) -> dict:
    return simulator.state()["api_counts"]


# --- The simulator as the document says ---------------------------------------------------------


def test_customers_are_found_by_phone_id_email_and_their_company(simulator):
    person = next(
        p
        for p in simulator.api("GET", "customers", params={"limit": 50, "offset": 300}).json()
        if p["company_id"] != ""
    )
    by_phone = simulator.api("GET", "customers", params={"phone_number": person["phone_number"]})
    assert by_phone.status_code == 200 and person["customer_id"] in [
        p["customer_id"] for p in by_phone.json()
    ]
    one = simulator.api("GET", f"customers/{person['customer_id']}").json()
    assert (one["name"], one["surname"]) == (person["name"], person["surname"])
    by_mail = simulator.api("GET", "customers", params={"email": person["email"].upper()}).json()
    assert [p["customer_id"] for p in by_mail] == [person["customer_id"]]
    company = simulator.api("GET", f"companies/{person['company_id']}").json()
    assert company["company_id"] == person["company_id"] and company["name"].endswith("sp. z o.o.")


def test_the_crm_refuses_as_the_document_says(simulator):
    missing = simulator.api("GET", "customers/999999", headers={"Accept-Language": "pl"})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"] == "Nie znaleziono klienta."
    assert missing.json()["request_id"]
    too_many = simulator.api("GET", "customers", params={"limit": 1001})
    assert too_many.status_code == 400 and too_many.json()["request_id"]
    assert simulator.api("GET", "customers", params={"order": "city"}).status_code == 400
    no_auth = requests.get(simulator.api_url + "customers", timeout=5)
    assert no_auth.status_code == 401
    ordered = simulator.api("GET", "customers", params={"order": "-customer_id", "limit": 3})
    ids = [p["customer_id"] for p in ordered.json()]
    assert ids == sorted(ids, key=str, reverse=True)


def test_campaigns_that_call_a_number(simulator):
    records = simulator.api("GET", "crm_outbounds/00001/records").json()
    rows = records["result"] if isinstance(records, dict) else records
    number = rows[0]["phone_number"]
    names = {c["id"]: c["name"] for c in simulator.api("GET", "outbounds").json()}
    assert ("00001", names["00001"]) in customers.campaigns_calling(number)
    assert customers.campaigns_calling("111000111") == []
    refused = simulator.api("GET", "outbounds_by_phone_number/abc")
    assert refused.status_code == 400 and refused.json()["request_id"]
    assert customers.campaigns_calling("abc") == []  # no digits: Thulium is not asked


# --- The document's own examples, as Thulium's answer --------------------------------------------


@pytest.mark.parametrize(
    "path, name, call, expected",
    [
        ("customers", "get_customers.txt", lambda: customers.search("222333444"), "Jan Kowalski"),
        ("customers/273", "get_customers__id.txt", lambda: customers.get_customer(273),
         "Jan Kowalski"),
        ("companies/28", "get_companies__id.txt", lambda: customers.company_name(28), "Thulium"),
    ],
)  # fmt: skip
def test_the_documents_crm_examples_are_read(simulator, path, name, call, expected):
    body = (DOC / name).read_text(encoding="utf-8")  # not strict JSON: a quote is missing
    simulator.control("fault", {"method": "GET", "path": path, "status": 200, "body": body})
    try:
        result = call()
    finally:
        simulator.control("fault", {})
    if isinstance(result, list):
        (result,) = result
    assert getattr(result, "name", result) == expected


@pytest.mark.parametrize(
    "body, expected",
    [
        ('[{"id": "00001", "name": "Wiosna"}]', [("00001", "Wiosna")]),
        ('[{"outbound_id": "00002", "outbound_name": "Lato"}]', [("00002", "Lato")]),
        ('["00003", "00004"]', [("00003", ""), ("00004", "")]),
        ('{"result": [{"id": "00005", "name": "Jesień",}]}', [("00005", "Jesień")]),
        ("[]", []),
    ],
)
def test_every_shape_of_the_undocumented_campaigns_answer_is_read(simulator, body, expected):
    path = "outbounds_by_phone_number/500100200"
    simulator.control("fault", {"method": "GET", "path": path, "status": 200, "body": body})
    try:
        assert customers.campaigns_calling("+48 500 100 200") == expected
    finally:
        simulator.control("fault", {})


# --- Looked up once, cached, rate limited ------------------------------------------------------


def test_a_caller_is_looked_up_once_with_the_company_and_an_unknown_number_says_so(simulator):
    person = next(
        p
        for p in simulator.api("GET", "customers", params={"limit": 50, "offset": 700}).json()
        if p["company_id"] != ""
    )
    number = person["phone_number"]
    company = simulator.api("GET", f"companies/{person['company_id']}").json()["name"]
    before = _counts(simulator)
    learned, later = customers.identify([(number, None), ("111000222", None)])
    assert learned == {
        number: f"{person['name']} {person['surname']} · {company}",
        "111000222": customers.UNKNOWN,
    }
    assert later == []
    asked = _counts(simulator)
    assert asked["customers"] - before.get("customers", 0) == 2  # one search per number
    assert customers.names([number, f"+48 {number}", "111000222", "999888777"]) == {
        number: learned[number],
        f"+48 {number}": learned[number],
        "111000222": customers.UNKNOWN,
    }
    again, _ = customers.identify([(number, None), ("111000222", None)])
    assert again == {} and _counts(simulator) == asked  # the cache answered


def test_a_customer_id_from_the_webhook_is_asked_for_directly(simulator):
    person = _person(simulator, 120)
    before = _counts(simulator).get("customers", 0)
    learned, _ = customers.identify([(person["phone_number"], person["customer_id"])])
    assert learned[person["phone_number"]].startswith(f"{person['name']} {person['surname']}")
    assert _counts(simulator)["customers"] == before + 1


def test_at_most_the_limit_of_lookups_a_second_reach_thulium(simulator, settings):
    settings.CUSTOMER_LOOKUPS_PER_SECOND = 1
    numbers = [f"60000000{n}" for n in range(6)]
    learned, later = customers.identify([(n, None) for n in numbers])
    assert 1 <= len(learned) <= 2  # one a second (two if a second began meanwhile)
    assert sorted([*learned, *(n for n, _, _ in later)]) == numbers  # the rest waits, none lost


def test_a_thulium_hiccup_is_asked_again_four_times_then_left(simulator):
    simulator.control("fault", {"method": "GET", "path": "customers", "status": 503,
                                "message": "Try later."})  # fmt: skip
    try:
        callers, tries = [("600100201", None)], 0
        while callers:
            learned, callers = customers.identify(callers)
            tries += 1
            assert learned == {}
    finally:
        simulator.control("fault", {})
    assert tries == 5
    assert customers.names(["600100201"]) == {"600100201": customers.UNKNOWN}


def test_thuliums_refusal_is_not_asked_again_at_once(simulator):
    simulator.control("fault", {"method": "GET", "path": "customers", "status": 403,
                                "message": "No access to the CRM."})  # fmt: skip
    try:
        learned, later = customers.identify([("600100200", None)])
        assert (learned, later) == ({}, [])
        assert customers.names(["600100200"]) == {"600100200": customers.UNKNOWN}
    finally:
        simulator.control("fault", {})


# --- From the webhook to the screens ------------------------------------------------------------


def test_the_pipeline_hands_new_callers_on_and_screens_read_names_from_the_cache_only(
    client, simulator
):
    person = _person(simulator, 140)
    number = person["phone_number"]
    now = timezone.localtime()

    def ago(seconds: int) -> str:
        return (now - timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")

    deliver(client, "AGENT_LOGGED_IN", agent_login="jkowalski", date=ago(60))
    deliver(client, "ENTER_QUEUE", connection_id="who.1", queue_id=155, source_number=number,
           date=ago(30))  # fmt: skip
    deliver(client, "ENTER_QUEUE", connection_id="who.2", queue_id=155, source_number="500999888",
           source_name="BOK: Nowak", date=ago(20))  # fmt: skip
    deliver(client, "AGENT_RINGING", connection_id="who.1", queue_id=155, agent_login="jkowalski",
           source_number=number, date=ago(5))  # fmt: skip
    changes = Changes()
    process_pending(changes=changes)
    # What the batch hands on after its push: each caller once (Thulium's name needs none).
    assert changes.callers == {number: None, "500999888": None}

    (tile,) = [s for s in queue_stats() if s.queue.number == 155]
    assert [(w.number, w.name, w.unknown) for w in tile.waiting_calls] == [
        (number, "", False),  # not known yet: looked up in the background
        ("500999888", "BOK: Nowak", False),  # Thulium's source_name
    ]
    before = _counts(simulator)
    identify_callers([(number, None), ("500999888", None)])  # the Celery task, as a worker runs it
    name = f"{person['name']} {person['surname']}"
    (tile,) = [s for s in queue_stats() if s.queue.number == 155]
    assert [(w.name, w.unknown) for w in tile.waiting_calls] == [
        (name, False),
        ("BOK: Nowak", False),
    ]
    row = next(a for a in board_context()["agents"] if a.login == "jkowalski")
    assert (row.call_number, row.caller) == (number, name)
    for _ in range(5):  # five boards open: Thulium is not asked again
        board_context()
        queue_stats()
    after = _counts(simulator)
    assert after["customers"] == before.get("customers", 0) + 2  # the two numbers, once each
