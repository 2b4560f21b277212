"""The intraday page: a scripted morning's webhooks, through the receiver and the pipeline,
give the hand-worked numbers of each interval in the table, beside the same weekday a week
before (docs/metrics.md, "Intraday")."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from crm_bridge import pipeline, receiver
from crm_bridge.models import AgentGroup
from crm_bridge.parse import format_local
from dashboard.models import Queue
from dashboard.teams import set_teams

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
DAY, WEEK_BEFORE = "2025-03-10", "2025-03-03"  # Mondays


def answered(cid, day, entered, connected, wait, duration, queue="155"):
    base = {"connection_id": cid, "queue_id": queue}
    return [
        {"action": "ENTER_QUEUE", **base, "date": f"{day} {entered}"},
        {"action": "AGENT_CONNECTED", **base, "agent_login": "jkowalski",
         "date": f"{day} {connected}"},
        {"action": "EXIT_QUEUE", **base, "date": f"{day} {connected}"},
        {"action": "AGENT_COMPLETED", **base, "agent_login": "jkowalski", "duration": duration,
         "date": f"{day} {connected}"},
    ]  # fmt: skip


def abandoned(cid, day, entered, gone, hold_time, queue="155"):
    base = {"connection_id": cid, "queue_id": queue}
    return [
        {"action": "ENTER_QUEUE", **base, "date": f"{day} {entered}"},
        {"action": "ABANDONED", **base, "hold_time": hold_time, "date": f"{day} {gone}"},
    ]


def a_morning() -> list[dict]:
    """Queue 155 (threshold 20 s, short abandon under 5 s) on Monday 10 March and the Monday
    before; the numbers each gives are worked out in the tests below."""
    return [
        # 10 March, 08:00-08:15
        *answered("a1", DAY, "08:02:00", "08:02:10", 10, 120),
        *answered("a2", DAY, "08:05:00", "08:05:30", 30, 200),
        *abandoned("a3", DAY, "08:09:00", "08:09:03", 3),  # short
        *answered("a4", DAY, "08:14:50", "08:15:20", 30, 100),  # entered 08:14: counts there
        # 08:15-08:30
        *abandoned("a5", DAY, "08:20:00", "08:20:40", 40),
        *answered("a6", DAY, "08:25:00", "08:25:05", 5, 300),
        # 08:30-08:45
        *answered("a7", DAY, "08:40:00", "08:40:15", 15, 60),
        # 3 March
        *answered("b0", WEEK_BEFORE, "07:50:00", "07:50:05", 5, 60),
        *answered("b1", WEEK_BEFORE, "08:03:00", "08:03:25", 25, 90),
        *abandoned("b2", WEEK_BEFORE, "08:31:00", "08:31:12", 12),
        # Another queue and another day are none of these numbers.
        *answered("x1", DAY, "08:03:00", "08:03:01", 1, 10, queue="156"),
        *answered("x2", "2025-03-09", "08:03:00", "08:03:01", 1, 10),
    ]


def deliver(events: list[dict]) -> None:
    """As Thulium would: to the receiver's store, then the pipeline applies them."""
    receiver.store([receiver.to_event(urlencode(e).encode(), FORM) for e in events])
    while pipeline.process_pending():
        pass


def table(html: str) -> dict[str, dict[str, str]]:
    """{interval: {field: text}} of the page's table."""
    rows = {}
    for interval, cells in re.findall(r'<tr data-interval="([^"]+)">(.*?)</tr>', html, re.S):
        fields = re.findall(r'data-field="([^"]+)"[^>]*>([^<]*)<', cells)
        rows[interval] = {name: text.strip() for name, text in fields}
    return rows


def intraday(client, **query) -> dict[str, dict[str, str]]:
    response = client.get("/intraday/", query)
    assert response.status_code == 200
    return table(response.content.decode())


@pytest.fixture
def supervisor(client, django_user_model):
    """A supervisor who sees every team's queues."""
    user = django_user_model.objects.create_user("sup", password="pw-123456789")
    user.user_permissions.add(Permission.objects.get(codename="see_all_agents"))
    client.force_login(user)
    return client


def test_a_mornings_intervals_show_the_hand_worked_numbers(supervisor):
    deliver(a_morning())
    rows = intraday(supervisor, queue="155", day=DAY)
    assert list(rows) == ["07:45", "08:00", "08:15", "08:30", "total"]
    # 08:00: a1 10 s, a2 30 s, a4 30 s answered, a3 a short abandon: SL 1 / (3 + 1 - 1)
    day = {k: v for k, v in rows["08:00"].items() if not k.endswith("-last-week")}
    assert day == {
        "offered": "4",
        "answered": "3",
        "abandoned": "1",
        "sl": "33%",
        "asa": "0:23",  # 70 / 3
        "aht": "2:20",  # (120 + 200 + 100) / 3
        "max-wait": "0:30",
    }
    # 08:15: a6 in 5 s, a5 abandoned after 40 s: SL 1 / 2
    assert rows["08:15"]["offered"] == "2"
    assert rows["08:15"]["sl"] == "50%"
    assert (rows["08:15"]["asa"], rows["08:15"]["aht"], rows["08:15"]["max-wait"]) == (
        "0:05",
        "5:00",
        "0:40",
    )
    assert rows["08:30"]["sl"] == "100%"
    # No call at 07:45 on the day (a row: the week before had one); nothing to divide by.
    assert rows["07:45"]["offered"] == "0"
    assert rows["07:45"]["sl"] == rows["07:45"]["asa"] == "—"
    # The day: 7 offered, 5 answered (3 within 20 s), 2 abandoned (1 short): SL 3 / 6
    total = rows["total"]
    assert (total["offered"], total["answered"], total["abandoned"]) == ("7", "5", "2")
    assert (total["sl"], total["asa"], total["aht"], total["max-wait"]) == (
        "50%",
        "0:18",  # 90 / 5
        "2:36",  # 780 / 5
        "0:40",
    )


def test_the_same_weekday_a_week_before_is_beside_each_interval(supervisor):
    deliver(a_morning())
    rows = intraday(supervisor, queue="155", day=DAY)
    last = {
        interval: {k.removesuffix("-last-week"): v for k, v in row.items() if "last-week" in k}
        for interval, row in rows.items()
    }
    assert last["07:45"] == {
        "offered": "1", "answered": "1", "abandoned": "0", "sl": "100%", "asa": "0:05",
        "aht": "1:00", "max-wait": "0:05",
    }  # fmt: skip
    assert last["08:00"] == {
        "offered": "1", "answered": "1", "abandoned": "0", "sl": "0%", "asa": "0:25",
        "aht": "1:30", "max-wait": "0:25",
    }  # fmt: skip
    assert last["08:15"]["offered"] == "0" and last["08:15"]["sl"] == "—"
    assert last["08:30"] == {
        "offered": "1", "answered": "0", "abandoned": "1", "sl": "0%", "asa": "—",
        "aht": "—", "max-wait": "0:12",
    }  # fmt: skip
    assert (last["total"]["offered"], last["total"]["sl"]) == ("3", "33%")
    # The week before, shown as its own day, has those numbers as its own.
    before = intraday(supervisor, queue="155", day=WEEK_BEFORE)
    assert before["08:00"]["offered"] == "1" and before["08:00"]["asa"] == "0:25"


def test_thirty_minute_intervals_add_up_two_quarters(supervisor):
    deliver(a_morning())
    rows = intraday(supervisor, queue="155", day=DAY, minutes="30")
    assert list(rows) == ["07:30", "08:00", "08:30", "total"]
    # 08:00-08:30: a1-a6: answered 10, 30, 30, 5 s; abandoned 3 (short) and 40 s: SL 2 / 5
    assert {k: rows["08:00"][k] for k in ("offered", "answered", "abandoned", "sl")} == {
        "offered": "6",
        "answered": "4",
        "abandoned": "2",
        "sl": "40%",
    }
    assert (rows["08:00"]["asa"], rows["08:00"]["aht"]) == ("0:19", "3:00")  # 75 / 4, 720 / 4
    assert rows["08:00"]["offered-last-week"] == "1"
    assert rows["07:30"]["offered-last-week"] == "1"
    assert rows["total"] == intraday(supervisor, queue="155", day=DAY)["total"]


def test_a_chat_queue_has_its_day_too(supervisor):
    chat = {"conversation_id": "k1", "chat_queue_id": "2", "agent_login": "a"}
    deliver(
        [
            {"action": "CHAT_CONVERSATION_CREATED", **chat, "date": f"{DAY} 09:01:00"},
            {"action": "CHAT_AGENT_ASSIGNED", **chat, "date": f"{DAY} 09:01:30"},
            {"action": "CHAT_CONVERSATION_CLOSED", **chat, "date": f"{DAY} 09:06:30"},
        ]
    )
    response = supervisor.get("/intraday/", {"day": DAY})
    assert '<option value="chat-2"' in response.content.decode()
    rows = intraday(supervisor, queue="chat-2", day=DAY)
    assert (rows["09:00"]["offered"], rows["09:00"]["asa"], rows["09:00"]["aht"]) == (
        "1",
        "0:30",
        "5:00",
    )


def test_a_day_without_calls_says_so_and_the_chart_gets_its_data(supervisor):
    deliver(a_morning())
    empty = supervisor.get("/intraday/", {"queue": "155", "day": "2025-01-01"})
    assert "No calls on" in empty.content.decode()
    assert 'id="intraday-data"' not in empty.content.decode()
    page = supervisor.get("/intraday/", {"queue": "155", "day": DAY})
    chart = page.context["chart"]
    assert chart["x"] == [7.75, 8.0, 8.25, 8.5]
    assert chart["offered"] == [0, 4, 2, 1]
    assert chart["offered_last_week"] == [1, 1, 0, 1]
    assert chart["service_level"] == [None, 33.3, 50.0, 100.0]
    assert 'id="intraday-data"' in page.content.decode()  # json_script, not inline code


def test_todays_page_refreshes_its_numbers_alone(supervisor):
    today, hms = format_local(timezone.now()).split(" ")
    deliver(answered("t1", today, hms, hms, 0, 5))
    page = supervisor.get("/intraday/", {"queue": "155"}).content.decode()
    assert 'hx-trigger="every 60s"' in page and f"day={today}" in page
    body = supervisor.get(
        "/intraday/", {"queue": "155", "day": today}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert body.lstrip().startswith('<div id="intraday-body"')
    assert "<nav" not in body and 'data-field="offered">1<' in body
    past = supervisor.get("/intraday/", {"queue": "155", "day": DAY}).content.decode()
    assert "hx-trigger" not in past  # a past day does not change


def test_a_team_sees_only_the_queues_it_serves(client, django_user_model):
    deliver(a_morning())
    Queue.objects.get(number=155).agent_groups.set([AgentGroup.objects.create(group_id=3)])
    Queue.objects.get(number=156).agent_groups.set([AgentGroup.objects.create(group_id=4)])
    user = django_user_model.objects.create_user("ewa")
    client.force_login(user)
    assert client.get("/intraday/").status_code == 403  # no team yet: told so
    set_teams(user, [3])
    page = client.get("/intraday/", {"day": DAY})
    assert [q.number for q in page.context["queues"]] == [155]
    # Another team's queue asked for by name: this team's own is shown instead.
    other = client.get("/intraday/", {"queue": "156", "day": DAY})
    assert other.context["queue"].number == 155


def test_it_requires_logging_in(client):
    response = client.get("/intraday/")
    assert response.status_code == 302 and "/login/" in response["Location"]
