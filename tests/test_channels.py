"""Chats and e-mail today (issue 10, "All channels"): the simulator's chats/reports/summary,
ticket_queues and tickets/today_stats as the document says; the parsers on the document's own
example and its loose variants; the poll over HTTP into the board's and wallboards' tiles,
pushed once per change; a failed Thulium call shown with its message and request_id."""

import datetime
import time
import uuid
from pathlib import Path

import pytest
import requests

from crm_bridge import channel_sync, channels, tasks
from crm_bridge.models import PollState
from crm_bridge.parse import read_json
from crm_bridge.signals import channels_changed
from dashboard.models import Wallboard
from tests.conftest import make_user
from tests.test_wallboard_live import _first_push_to

DOC = Path(__file__).parent / "fixtures" / "thulium_doc"


def _sim_now(simulator) -> datetime.datetime:
    return datetime.datetime.strptime(simulator.state()["now"], "%Y-%m-%d %H:%M:%S")


def _summary(simulator, method="GET", **params):
    day = simulator.state()["now"][:10]
    base = {"date_from": day, "date_to": day}
    return simulator.api(method, "chats/reports/summary", params={**base, **params})


def _a_chat_today(simulator) -> None:
    """A chat in Thulium today, whatever the hour: just after midnight there may be none yet.
    Then one is made, and the clock let tick past its second (a later test counts the chats
    of a window that starts at a whole second)."""
    if _summary(simulator, sum_users="true", aggregate_by="day").json():
        return
    conversation = {"conversation_id": f"today-{uuid.uuid4().hex[:8]}", "chat_queue_id": 2}
    simulator.control("event", {"action": "CHAT_CONVERSATION_CREATED", **conversation})
    simulator.control("event", {"action": "CHAT_CONVERSATION_CLOSED", **conversation})
    made = simulator.state()["now"]
    while simulator.state()["now"] == made:
        time.sleep(0.05)


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert len(body["request_id"]) == 13 and int(body["request_id"], 16) >= 0
    assert body["errors"] and all(isinstance(e["code"], int) for e in body["errors"])
    return body


# --- The simulator, as the document says ------------------------------------------------------


def test_the_summary_is_shaped_as_the_documents_example(simulator):
    example, _ = read_json((DOC / "get_chats__reports__summary.txt").read_text(encoding="utf-8"))
    _a_chat_today(simulator)
    for method in ("GET", "POST"):  # the heading says GET, the footer POST
        rows = _summary(simulator, method, sum_users="true", aggregate_by="day").json()
        assert len(rows) == 1 and rows[0]["series"] == simulator.state()["now"][:10]
        row = rows[0]
        assert set(row) == set(example[0])
        for part in ("chat_time", "wait_time", "rating"):
            assert set(row[part]) == set(example[0][part])
        assert set(row["rating"]["rate"]) == {"sad", "neutral", "happy"}
        assert row["user_name"] is None  # every user summed


def test_scripted_chats_are_counted_per_user_and_summed(simulator):
    state = simulator.state()
    login = next(a["login"] for a in state["agents"] if a["login"])
    before = _sim_now(simulator)

    def event(action, **fields):
        simulator.control("event", {"action": action, **fields})

    for conv in ("t-a", "t-b", "t-c"):
        event("CHAT_CONVERSATION_CREATED", conversation_id=conv, chat_queue_id=2)
    event("CHAT_AGENT_ASSIGNED", conversation_id="t-a", agent_login=login, chat_queue_id=2)
    event("CHAT_AGENT_ASSIGNED", conversation_id="t-c", agent_login=login, chat_queue_id=2)
    event("CHAT_CONVERSATION_CLOSED", conversation_id="t-a", chat_queue_id=2)
    event("CHAT_CONVERSATION_CLOSED", conversation_id="t-b", chat_queue_id=2)  # nobody took it
    after = _sim_now(simulator)
    window = {
        "date_from": f"{before:%Y-%m-%d %H:%M:%S}",
        "date_to": f"{after:%Y-%m-%d %H:%M:%S}",
        "chat_queue_ids[]": "2",
        "response_threshold": "60",
        "aggregate_by": "day",
    }
    (total,) = _summary(simulator, sum_users="true", **window).json()
    assert total["incoming_including_empty"] == total["incoming"] == 3
    assert (total["answered"], total["abandoned"]) == (2, 1)
    assert total["service_level_percent"] == 100 and total["sla_percent"] == 67
    assert total["chat_time"]["max"] <= total["chat_time"]["sum"] <= "00:00:10"
    (mine,) = _summary(simulator, **{**window, "user_logins[]": login}).json()
    assert mine["answered"] == mine["incoming_to_agent"] == 2 and mine["abandoned"] == 0
    assert mine["user_name"] and mine["user_name"] != login
    other_queue = _summary(simulator, sum_users="true", **{**window, "chat_queue_ids[]": "1"})
    assert other_queue.json() == []


def test_the_summary_pages_and_groups_by_hour(simulator):
    rows = _summary(simulator, aggregate_by="hour", limit="2").json()
    assert len(rows) <= 2
    assert all(len(r["series"]) == 16 and r["series"].endswith(":00") for r in rows)
    assert _summary(simulator, aggregate_by="hour", limit="2", offset="100000").json() == []


@pytest.mark.parametrize(
    "params, fields",
    [
        ({"date_from": "", "date_to": ""}, ["date_from", "date_to"]),
        ({"date_from": "yesterday"}, ["date_from"]),
        ({"aggregate_by": "fortnight"}, ["aggregate_by"]),
        ({"chat_queue_ids[]": ["1", "99"]}, ["chat_queue_ids"]),
        ({"user_logins[]": "nobody"}, ["user_logins"]),
        ({"limit": "101", "offset": "-1"}, ["limit", "offset"]),
        ({"response_threshold": "soon", "sum_users": "maybe"}, ["sum_users", "response_threshold"]),
    ],
)
def test_a_bad_parameter_is_a_400_naming_each_field(simulator, params, fields):
    body = _error(_summary(simulator, **params), 400)
    named = [f for f in fields if any(f"Field {f}:" in e["message"] for e in body["errors"])]
    assert named == fields and len(body["errors"]) == len(fields)


def test_polish_errors_and_401_with_a_request_id(simulator):
    response = simulator.api(
        "GET", "chats/reports/summary", headers={"Accept-Language": "pl"}, params={}
    )
    assert "jest wymagane" in _error(response, 400)["errors"][0]["message"]
    for path in ("chats/reports/summary", "tickets/today_stats", "ticket_queues"):
        _error(requests.get(simulator.api_url + path, auth=("api", "wrong"), timeout=5), 401)


def test_ticket_queues_and_todays_ticket_numbers(simulator):
    queues = simulator.api("GET", "ticket_queues").json()
    assert [set(q) for q in queues] == [{"ticket_queue_id", "name"}] * len(queues) and queues
    first = simulator.api("GET", "tickets/today_stats").json()
    counts = ("created", "responded", "closed", "open")
    assert {q["ticket_queue_id"] for q in first["queues"]} == {q["ticket_queue_id"] for q in queues}
    for key in counts:
        assert first[key] == sum(q[key] for q in first["queues"]) >= 0
    again = simulator.api("GET", "tickets/today_stats").json()
    assert again["created"] >= first["created"]  # the day's tickets only grow
    _error(simulator.api("GET", "tickets/today_stats/x"), 404)


# --- The parsers, on the document's own example and its loose forms ---------------------------


def test_the_documents_example_read_as_it_is():
    text = (DOC / "get_chats__reports__summary.txt").read_text(encoding="utf-8")
    summary = channels.read_chat_summary(read_json(text)[0])
    assert (summary.incoming, summary.answered, summary.abandoned) == (1, 1, 0)
    assert summary.service_level == 100 and summary.avg_chat == 48 and summary.avg_wait == 0
    assert summary.satisfaction is None  # nobody rated


LOOSE_SUMMARY = """[
  {"series": "2026-11", "incoming": "12", "answered": "10", "abandoned": 2,
   "service_level_percent": "80", "wait_time": {"sum": 250, "max": "00:01:10"},
   "chat_time": {"sum": "01:00:00"}, "rating": {"rate": {"happy": "3", "sad": 1}},},
  {"series": "2026-11", "answered": null, "incoming": "",
   "chat_time": null},
}"""


def test_loose_summaries_strings_missing_parts_and_slips():
    body, repairs = read_json(LOOSE_SUMMARY)
    assert repairs  # a trailing comma and a list closed by "}"
    summary = channels.read_chat_summary(body)
    assert (summary.incoming, summary.answered, summary.abandoned, summary.rows) == (12, 10, 2, 2)
    assert summary.service_level == 80 and summary.avg_wait == 25 and summary.wait_max == 70
    assert summary.avg_chat == 360 and summary.satisfaction == 75
    assert channels.read_chat_summary({"incoming": "4"}).incoming == 4  # one bare row
    assert channels.read_chat_summary(None).incoming == 0


def test_loose_ticket_numbers():
    body, _ = read_json('{"queues": [{"ticket_queue_id": "1", "created": "5", "open": 2},'
                        ' {"id": 2, "created": 1, "closed": "1"},]}')  # fmt: skip
    stats = channels.read_ticket_stats(body)
    assert stats.total == channels.TicketCounts(created=6, responded=0, closed=1, open=2)
    assert set(stats.queues) == {1, 2}
    given = channels.read_ticket_stats({"created": "9", "queues": []})
    assert given.total.created == 9 and given.queues == {}
    assert channels.read_ticket_queues([{"ticket_queue_id": "3", "name": None}]) == {3: "#3"}


def test_the_documents_example_as_thuliums_answer(simulator):
    body = (DOC / "get_chats__reports__summary.txt").read_text(encoding="utf-8")
    fault = {"method": "GET", "path": "chats/reports/summary", "status": 200, "body": body}
    simulator.control("fault", fault)
    try:
        now = datetime.datetime.now(datetime.UTC)
        summary = channels.get_chat_summary(now - datetime.timedelta(hours=1), now)
    finally:
        simulator.control("fault", {})
    assert (summary.incoming, summary.avg_chat) == (1, 48)


# --- The poll, the tiles and the push --------------------------------------------------------


@pytest.mark.django_db
def test_the_poll_brings_todays_numbers_to_the_board(simulator, client):
    _a_chat_today(simulator)
    tasks.poll_channels()  # the beat's task, over HTTP to the simulator
    shown = channel_sync.today()
    day = simulator.state()["now"][:10]
    thulium = _summary(simulator, sum_users="true", aggregate_by="day", date_from=day).json()
    tickets = simulator.api("GET", "tickets/today_stats").json()
    assert shown["chats"].incoming == thulium[0]["incoming"] > 0
    assert shown["tickets"].total.open == tickets["open"]
    assert not shown["chats_health"]["stale"] and not shown["tickets_health"]["stale"]
    client.force_login(make_user("sup", password="x"))
    page = client.get("/").content.decode()
    assert f'data-field="chats-incoming">{thulium[0]["incoming"]}<' in page
    assert f'data-field="tickets-open">{tickets["open"]}<' in page
    assert "BOK e-mail" in page and "data-stale" not in page


@pytest.mark.django_db
def test_a_refused_call_keeps_the_last_numbers_marked_stale_with_thuliums_words(simulator):
    tasks.poll_channels()
    before = channel_sync.today()["tickets"]
    fault = {"method": "GET", "path": "tickets/today_stats", "status": 403,
             "message": "Tickets are not enabled for this API user."}  # fmt: skip
    simulator.control("fault", fault)
    try:
        assert channel_sync.poll() is True  # what the tiles show changed: pushed
    finally:
        simulator.control("fault", {})
    shown = channel_sync.today()
    state = PollState.objects.get(name=channel_sync.TICKETS)
    assert shown["tickets"] == before and shown["tickets_health"]["stale"]
    assert shown["tickets_health"]["error"] == "Tickets are not enabled for this API user."
    assert shown["tickets_health"]["request_id"] == state.last_request_id != ""
    assert not shown["chats_health"]["stale"]  # the chats were answered
    html = _tiles()
    assert "Tickets are not enabled for this API user." in html
    assert f"(request_id {state.last_request_id})" in html and "Stale: not refreshed since" in html
    channel_sync.poll()
    assert not channel_sync.today()["tickets_health"]["stale"]


@pytest.mark.django_db
def test_the_same_answer_again_pushes_nothing(simulator):
    summary = (DOC / "get_chats__reports__summary.txt").read_text(encoding="utf-8")
    tickets = '{"created": 4, "responded": 3, "closed": 2, "open": 7, "queues": []}'
    for path, body in (("chats/reports/summary", summary), ("tickets/today_stats", tickets)):
        simulator.control("fault", {"method": "GET", "path": path, "status": 200, "body": body})
    try:
        assert channel_sync.poll() is True
        assert channel_sync.poll() is False  # nothing the tiles show changed: no push
    finally:
        simulator.control("fault", {})
    shown = channel_sync.today()
    assert (shown["chats"].incoming, shown["tickets"].total.open) == (1, 7)


@pytest.mark.django_db
def test_no_answer_yet_says_so(simulator):
    simulator.control("fault", {"method": "GET", "path": "chats/reports/summary", "status": 500,
                                "message": "Boom."})  # fmt: skip
    try:
        channel_sync.poll()
    finally:
        simulator.control("fault", {})
    html = _tiles()
    assert "No numbers: Thulium has not answered yet." in html and "Boom." in html
    assert "data-stale" in html


def _changed():
    channels_changed.send(sender=None)


def _tiles() -> str:
    from dashboard.live_channels import tiles_html

    return tiles_html()


@pytest.mark.django_db
def test_one_render_per_change_reaches_boards_and_all_channels_wallboards(simulator):
    wall = Wallboard.objects.create(name="All", kind=Wallboard.Kind.ALL, language="pl")
    Wallboard.objects.create(name="Queues", kind=Wallboard.Kind.QUEUES, language="pl")
    tasks.poll_channels()
    board = _first_push_to("board-all-en", _changed)
    assert board["html"].lstrip().startswith('<section id="channel-tiles"')
    assert "Chats today" in board["html"] and "E-mail today" in board["html"]
    walled = _first_push_to(wall.group, _changed)["html"]
    assert 'id="wb-channels"' in walled and "Czaty dziś" in walled and "Otwarte" in walled
    snapshot = Wallboard.objects.get(pk=wall.pk)
    from dashboard import wallboards

    assert 'id="wb-channels"' in wallboards.snapshot(snapshot)
    queues_only = Wallboard.objects.get(name="Queues")
    assert 'id="wb-channels"' not in wallboards.snapshot(queues_only)
