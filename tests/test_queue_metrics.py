"""Queue metrics on hand-built event sequences; the expected numbers are worked out here.
The sequences are posted to the real webhook receiver (the other queue tests reuse them)."""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from crm_bridge.pipeline import process_pending
from dashboard.models import Queue, QueueCall
from dashboard.queues import queue_stats

pytestmark = pytest.mark.django_db


WARSAW = ZoneInfo("Europe/Warsaw")
# "Now" for the metric tests: noon in Warsaw, so today started at 00:00 and the 60-minute
# window at 11:00.
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=WARSAW)


def at(hms: str, day: str = "2025-03-10") -> str:
    return f"{day} {hms}"


def deliver(client, action: str, **fields):
    """A webhook as Thulium posts it: stored, not applied yet."""
    auth = f"{settings.THULIUM_WEBHOOK_USER}:{settings.THULIUM_WEBHOOK_PASSWORD}"
    response = client.post(
        "/webhooks/thulium/",
        {"action": action, **{k: str(v) for k, v in fields.items()}},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )
    assert response.status_code == 200, response.content
    return response.json()


def post(client, action: str, **fields):
    """A webhook delivered and applied."""
    answer = deliver(client, action, **fields)
    process_pending()
    return answer


def answered_call(cid, queue, entered, connected, completed, duration, agent="jkowalski"):
    return [
        ("ENTER_QUEUE", dict(connection_id=cid, queue_id=queue, date=at(entered))),
        (
            "AGENT_RINGING",
            dict(connection_id=cid, queue_id=queue, agent_login=agent, date=at(entered)),
        ),
        (
            "AGENT_CONNECTED",
            dict(connection_id=cid, queue_id=queue, agent_login=agent, date=at(connected)),
        ),
        ("EXIT_QUEUE", dict(connection_id=cid, queue_id=queue, date=at(connected))),
        (
            "AGENT_COMPLETED",
            dict(
                connection_id=cid,
                queue_id=queue,
                agent_login=agent,
                date=at(completed),
                duration=duration,
                billsec=duration - 5,
                reason="caller",
            ),
        ),
    ]


def day_of_queue_155() -> list[tuple[str, dict]]:
    """The worked example of docs/metrics.md (queue 155, threshold 20 s, short abandon 5 s)."""
    q = 155
    events = [
        ("ENTER_IVR", dict(connection_id="c1", source_number="500100200", date=at("11:00:00")))
    ]
    events += answered_call("c1", q, "11:00:10", "11:00:20", "11:03:20", 185)  # waited 10 s
    events += [  # c2: rang once unanswered, answered after 45 s
        ("ENTER_QUEUE", dict(connection_id="c2", queue_id=q, date=at("11:10:00"))),
        (
            "AGENT_RINGING",
            dict(connection_id="c2", queue_id=q, agent_login="anowak", date=at("11:10:25")),
        ),
        (
            "AGENT_NOT_ANSWERED",
            dict(connection_id="c2", queue_id=q, agent_login="anowak", date=at("11:10:35")),
        ),
        (
            "AGENT_RINGING",
            dict(connection_id="c2", queue_id=q, agent_login="jkowalski", date=at("11:10:40")),
        ),
        (
            "AGENT_CONNECTED",
            dict(connection_id="c2", queue_id=q, agent_login="jkowalski", date=at("11:10:45")),
        ),
        ("EXIT_QUEUE", dict(connection_id="c2", queue_id=q, date=at("11:10:45"))),
        (
            "AGENT_COMPLETED",
            dict(
                connection_id="c2",
                queue_id=q,
                agent_login="jkowalski",
                date=at("11:15:45"),
                duration=305,
                billsec=300,
            ),
        ),
        (
            "RECORDING_READY",
            dict(connection_id="c2", filename="BOK/2025-03-10/c2.wav", date=at("11:15:50")),
        ),
        # c3: short abandon (3 s); c4: abandon after 60 s
        ("ENTER_QUEUE", dict(connection_id="c3", queue_id=q, date=at("11:20:00"))),
        ("ABANDONED", dict(connection_id="c3", queue_id=q, hold_time=3, date=at("11:20:03"))),
        ("EXIT_QUEUE", dict(connection_id="c3", queue_id=q, date=at("11:20:03"))),
        ("ENTER_QUEUE", dict(connection_id="c4", queue_id=q, date=at("11:30:00"))),
        ("ABANDONED", dict(connection_id="c4", queue_id=q, hold_time=60, date=at("11:31:00"))),
        ("EXIT_QUEUE", dict(connection_id="c4", queue_id=q, date=at("11:31:00"))),
        # c5: still waiting at noon (10 minutes)
        ("ENTER_QUEUE", dict(connection_id="c5", queue_id=q, date=at("11:50:00"))),
        # c8: entered at 10:30 and never heard of again: expired after 60 min, not "waiting"
        ("ENTER_QUEUE", dict(connection_id="c8", queue_id=q, date=at("10:30:00"))),
    ]
    events += answered_call("c6", q, "09:00:00", "09:00:05", "09:02:05", 120)  # today, not window
    events += answered_call("c7", q, "23:00:00", "23:00:02", "23:05:00", 298, agent="anowak")
    events[-5:] = [
        (a, {**f, "date": f["date"].replace("2025-03-10", "2025-03-09")}) for a, f in events[-5:]
    ]
    return events


def stats_of(number, kind=Queue.Kind.CALL):
    queue = Queue.objects.get(kind=kind, number=number)
    (stats,) = queue_stats([queue.pk], now=NOW)
    return stats


def test_it_computes_a_day_of_a_call_queue(client):
    for action, fields in day_of_queue_155():
        post(client, action, **fields)
    s = stats_of(155)

    # Today (since 00:00): c1, c2, c3, c4, c5, c6, c8 offered; c7 was yesterday.
    assert s.today.offered == 7
    assert s.today.answered == 3  # c1 (10 s), c2 (45 s), c6 (5 s)
    assert s.today.answered_in_sl == 2  # c1 and c6 within 20 s
    assert (s.today.abandoned, s.today.short_abandons) == (2, 1)  # c3 (3 s, short), c4 (60 s)
    # Service level: 2 / (3 answered + 2 abandoned - 1 short) = 2 / 4
    assert s.today.service_level == 50
    assert s.today.abandon_rate == 25  # 1 / 4
    assert s.today.asa == 20  # (10 + 45 + 5) / 3
    assert s.today.aht == pytest.approx((185 + 305 + 120) / 3)
    assert s.today.max_wait == 60

    # Last 60 minutes (since 11:00): c1..c5
    assert (s.window.offered, s.window.answered, s.window.answered_in_sl) == (5, 2, 1)
    assert s.window.service_level == pytest.approx(100 / 3)  # 1 / (2 + 2 - 1)
    assert s.window.asa == 27.5  # (10 + 45) / 2
    assert s.window.aht == 245  # (185 + 305) / 2

    # Now: c5 waits since 11:50; c8 (silent since 10:30) has expired.
    assert s.waiting == 1
    assert s.longest_wait(NOW) == 600
    assert s.queue.display_name == "Queue 155"


def test_it_counts_a_transferred_call_once_with_both_legs_handled(client):
    q, cid = 156, "t1"
    for action, fields in [
        ("ENTER_QUEUE", dict(connection_id=cid, queue_id=q, date=at("11:40:00"))),
        (
            "AGENT_CONNECTED",
            dict(connection_id=cid, queue_id=q, agent_login="a1", date=at("11:40:08")),
        ),
        ("EXIT_QUEUE", dict(connection_id=cid, queue_id=q, date=at("11:40:08"))),
        (
            "QUEUE_TRANSFERRED_TO_AGENT",
            dict(
                connection_id=cid, queue_id=q, agent_login="a2", type="blind", date=at("11:42:00")
            ),
        ),
        (
            "AGENT_COMPLETED",
            dict(
                connection_id=cid,
                queue_id=q,
                agent_login="a1",
                duration=120,
                billsec=112,
                date=at("11:42:00"),
            ),
        ),
        (
            "AGENT_CONNECTED",
            dict(connection_id=cid, queue_id=q, agent_login="a2", date=at("11:42:01")),
        ),
        (
            "AGENT_COMPLETED",
            dict(
                connection_id=cid,
                queue_id=q,
                agent_login="a2",
                duration=180,
                billsec=179,
                date=at("11:45:01"),
            ),
        ),
    ]:
        post(client, action, **fields)
    s = stats_of(156)
    assert (s.today.offered, s.today.answered, s.today.answered_in_sl) == (1, 1, 1)
    assert s.today.asa == 8
    assert s.today.aht == 300  # 120 + 180: the call's whole handle time
    assert s.in_progress == 0
    call = QueueCall.objects.get(contact_id=cid)
    assert (call.transfers, call.agent_login) == (1, "a1")


def test_it_computes_a_chat_queue(client):
    for action, fields in [
        (
            "CHAT_CONVERSATION_CREATED",
            dict(conversation_id="A", chat_queue_id=1, client_name="Jan", date=at("11:00:00")),
        ),
        (
            "CHAT_AGENT_ASSIGNED",
            dict(conversation_id="A", chat_queue_id=1, agent_login="a1", date=at("11:00:30")),
        ),
        (
            "CHAT_CONVERSATION_CLOSED",
            dict(conversation_id="A", chat_queue_id=1, date=at("11:10:30")),
        ),
        (
            "CHAT_CONVERSATION_CREATED",
            dict(conversation_id="B", chat_queue_id=1, date=at("11:05:00")),
        ),
        (
            "CHAT_CONVERSATION_CLOSED",
            dict(conversation_id="B", chat_queue_id=1, date=at("11:05:02")),
        ),
        (
            "CHAT_CONVERSATION_CREATED",
            dict(conversation_id="C", chat_queue_id=1, date=at("11:55:00")),
        ),
        (
            "CHAT_CONVERSATION_CREATED",
            dict(conversation_id="D", chat_queue_id=1, date=at("11:30:00")),
        ),
        (
            "CHAT_AGENT_ASSIGNED",
            dict(conversation_id="D", chat_queue_id=1, agent_login="a2", date=at("11:30:10")),
        ),
    ]:
        post(client, action, **fields)
    s = stats_of(1, Queue.Kind.CHAT)
    assert s.key == "chat-1"
    assert (s.today.offered, s.today.answered, s.today.answered_in_sl) == (
        4,
        2,
        1,
    )  # A 30 s, D 10 s
    assert (s.today.abandoned, s.today.short_abandons) == (1, 1)  # B closed after 2 s unanswered
    assert s.today.service_level == 50  # 1 / (2 + 1 - 1)
    assert s.today.aht == 600  # only A is closed: 11:00:30 -> 11:10:30
    assert (s.waiting, s.in_progress) == (1, 1)  # C waits, D is being handled
    assert s.longest_wait(NOW) == 300


def test_it_uses_the_queue_threshold_set_in_admin(client, admin_client):
    for action, fields in day_of_queue_155():
        post(client, action, **fields)
    assert stats_of(155).today.answered_in_sl == 2  # within the default 20 s: 10 and 5 s
    queue = Queue.objects.get(number=155)
    form = {"name": "BOK", "sl_threshold_seconds": 60, "sl_target_percent": 80}
    response = admin_client.post(f"/admin/dashboard/queue/{queue.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    s = stats_of(155)
    assert s.today.answered_in_sl == 3  # 10, 45 and 5 s are all within 60 s
    assert s.today.service_level == 75
    assert s.queue.display_name == "BOK"


def test_it_has_no_numbers_before_the_first_call(client):
    post(client, "ENTER_IVR", connection_id="x", date=at("11:00:00"))
    assert queue_stats(now=NOW) == []  # an IVR-only call names no queue yet
    post(client, "ENTER_QUEUE", connection_id="x", queue_id=157, date=at("11:00:09"))
    s = stats_of(157)
    assert (s.today.service_level, s.today.asa, s.today.aht, s.today.abandon_rate) == (
        None,
        None,
        None,
        None,
    )


def test_day_reset_time_is_configurable(client, settings):
    settings.QUEUE_DAY_RESET = "10:00"
    for action, fields in day_of_queue_155():
        post(client, action, **fields)
    s = stats_of(155)
    assert s.today.offered == 6  # c6 (09:00) now belongs to the previous day
    assert s.today.answered == 2
