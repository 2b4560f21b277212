"""Alert thresholds: the preloaded defaults, an agent's time in status against them (per pause
reason, ringing, on a call, phone not connected), a queue's numbers, overrides per pause
reason and per queue, and the board page carrying data-alert and the limits for the browser."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_bridge.models import Agent, AgentStatus, PauseReason
from dashboard import alerts
from dashboard.models import Queue, Threshold
from dashboard.models.alerts import Metric
from dashboard.queues import Period, QueueStats
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture(autouse=True)
def _fresh_thresholds():
    alerts._memo.clear()
    yield
    alerts._memo.clear()


def agent(status, seconds, pause_id=None, phone=None, login="a1") -> Agent:
    return Agent(
        login=login,
        status=status,
        pause_id=pause_id,
        phone_connected=phone,
        status_since=NOW - timedelta(seconds=seconds),
    )


def level(a: Agent) -> str:
    return alerts.thresholds().agent(a, NOW).level


def test_defaults_are_preloaded_for_every_metric():
    defaults = {t.metric for t in Threshold.objects.filter(pause_reason=None, queue=None)}
    assert defaults == set(Metric.values)
    przerwa = Threshold.objects.get(metric="pause", pause_reason__name="przerwa")
    assert przerwa.red == 15 * 60  # przerwa turns red at 15:00


def test_a_pause_turns_amber_then_red_at_its_reasons_limits():
    assert level(agent(AgentStatus.PAUSED, 11 * 60, pause_id=3)) == ""
    assert level(agent(AgentStatus.PAUSED, 12 * 60, pause_id=3)) == "amber"
    assert level(agent(AgentStatus.PAUSED, 15 * 60 - 1, pause_id=3)) == "amber"
    assert level(agent(AgentStatus.PAUSED, 15 * 60, pause_id=3)) == "red"
    # wrap-up (pause 1) is much shorter
    assert level(agent(AgentStatus.PAUSED, 3 * 60, pause_id=1)) == "red"


def test_a_reason_without_its_own_limit_has_the_default_pause_limit():
    PauseReason.objects.create(pause_id=40, name="lunch")
    assert level(agent(AgentStatus.PAUSED, 14 * 60, pause_id=40)) == "amber"
    Threshold.objects.create(metric="pause", pause_reason_id=40, amber=25 * 60, red=30 * 60)
    assert level(agent(AgentStatus.PAUSED, 29 * 60, pause_id=40)) == "amber"
    assert level(agent(AgentStatus.PAUSED, 30 * 60, pause_id=40)) == "red"
    found = alerts.thresholds().agent(agent(AgentStatus.PAUSED, 31 * 60, pause_id=40), NOW)
    assert found.what == ["lunch"]
    assert found.limits_json == '[["lunch", 1500.0, 1800.0]]'


def test_ringing_and_calls_too_long():
    assert level(agent(AgentStatus.RINGING, 10)) == ""
    assert level(agent(AgentStatus.RINGING, 31)) == "red"
    assert level(agent(AgentStatus.INBOUND_CALL, 11 * 60)) == "amber"
    assert level(agent(AgentStatus.OUTBOUND_CALL, 21 * 60)) == "red"
    assert level(agent(AgentStatus.FREE, 5 * 3600)) == ""  # free for long is fine


def test_logged_in_with_the_phone_not_connected():
    assert level(agent(AgentStatus.FREE, 5, phone=False)) == "amber"
    assert level(agent(AgentStatus.FREE, 3 * 60, phone=False)) == "red"
    assert level(agent(AgentStatus.FREE, 3 * 60, phone=True)) == ""
    assert level(agent(AgentStatus.OFF, 3 * 60, phone=False)) == ""
    both = alerts.thresholds().agent(agent(AgentStatus.PAUSED, 13 * 60, 3, phone=False), NOW)
    assert both.level == "red" and [str(w) for w in both.what] == [
        "Phone not connected",
        "przerwa",
    ]  # worst first


def stats(queue, waiting=0, oldest=None, answered=10, in_sl=10, abandoned=0) -> QueueStats:
    today = Period(answered=answered, answered_in_sl=in_sl, abandoned=abandoned)
    return QueueStats(queue=queue, today=today, waiting=waiting, oldest_entered=oldest)


def test_queue_numbers_against_the_defaults_and_a_queues_own():
    q = Queue.objects.create(number=155, sl_target_percent=90)
    t = alerts.thresholds()
    assert t.queue(stats(q), NOW).level == ""
    assert t.queue_levels(stats(q, waiting=3), NOW)["waiting"] == "amber"
    assert t.queue_levels(stats(q, waiting=6), NOW)["waiting"] == "red"
    long_ago = NOW - timedelta(seconds=61)
    assert t.queue_levels(stats(q, waiting=1, oldest=long_ago), NOW)["longest_wait"] == "red"
    # service level: amber below the queue's own target (90), red below 60
    assert t.queue_levels(stats(q, in_sl=8), NOW)["service_level"] == "amber"
    assert t.queue_levels(stats(q, in_sl=5), NOW)["service_level"] == "red"
    # abandon rate: 1 of 10 counted = 10%
    assert t.queue_levels(stats(q, answered=9, in_sl=9, abandoned=1), NOW)["abandon_rate"] == "red"
    Threshold.objects.create(metric="waiting", queue=q, amber=10, red=20)
    other = Queue.objects.create(number=156)
    t = alerts.thresholds()
    assert t.queue_levels(stats(q, waiting=6), NOW)["waiting"] == ""
    assert t.queue_levels(stats(other, waiting=6), NOW)["waiting"] == "red"
    found = t.queue(stats(other, waiting=6, in_sl=7), NOW)
    assert found.level == "red" and found.base == "red"
    assert [str(w) for w in found.what] == ["Waiting", "Service level"]


def test_a_threshold_for_the_wrong_kind_is_refused():
    from django.core.exceptions import ValidationError

    q = Queue.objects.create(number=155)
    with pytest.raises(ValidationError):
        Threshold(metric="ringing", queue=q, red=1).full_clean()


def test_the_board_carries_each_rows_alert_and_limits(client):
    now = timezone.now()
    Agent.objects.create(
        login="late",
        name="Ala",
        surname="Late",
        status=AgentStatus.PAUSED,
        pause_id=3,
        status_since=now - timedelta(minutes=16),
    )
    Agent.objects.create(login="fine", status=AgentStatus.PAUSED, pause_id=3, status_since=now)
    Queue.objects.create(number=155, name="Sprzedaż")
    client.force_login(make_user("boss", role="admin"))
    page = client.get(reverse("board")).content.decode()
    late = page[page.index('id="agent-late"') :].split("</tr>")[0]
    assert 'data-alert="red"' in late
    assert "data-limits=" in late and "720.0, 900.0" in late
    flag = late.split("data-alert-flag>")[1].split("<")[0]
    assert flag == "Over limit: przerwa"  # the breach in words, not colour alone
    fine = page[page.index('id="agent-fine"') :].split("</tr>")[0]
    assert 'data-alert=""' in fine
    assert 'id="attention"' in page


def test_wallboards_use_the_shared_thresholds_unless_they_override_them(admin_client):
    from dashboard.models import Wallboard
    from dashboard.wallboards import decorate_tile

    q = Queue.objects.create(number=155, sl_target_percent=90)
    board = Wallboard.objects.create(name="Hala")
    assert decorate_tile(board, stats(q, waiting=6), NOW)["level"] == "red"
    Threshold.objects.filter(metric="waiting", queue=None).update(amber=8, red=12)
    alerts._memo.clear()  # (an update() sends no signal; the admin's save does)
    assert decorate_tile(board, stats(q, waiting=6), NOW)["level"] == ""  # follows the change
    assert (
        decorate_tile(board, stats(q, answered=100, in_sl=85), NOW)["levels"]["service_level"]
        == "amber"
    )
    Threshold.objects.create(metric="waiting", queue=q, amber=2, red=4)
    assert decorate_tile(board, stats(q, waiting=4), NOW)["level"] == "red"  # the queue's own
    board.thresholds = {"waiting": {"amber": 20, "red": 30}}
    assert decorate_tile(board, stats(q, waiting=4), NOW)["level"] == ""  # the wallboard's own

    # The form keeps as the wallboard's own only what differs from the shared thresholds.
    form = {"name": "Hala B", "kind": "queues", "theme": "dark", "language": "pl"}
    form |= {"font_scale": "1", "waiting_amber": 8, "waiting_red": 12, "asa_amber": 25}
    form |= {"longest_wait_amber": 30, "longest_wait_red": 60, "asa_red": 40}
    form |= {"service_level_amber": 80, "service_level_red": 60}
    form |= {"abandon_rate_amber": 5, "abandon_rate_red": 10}
    assert admin_client.post("/wallboards/new/", form).status_code == 302
    assert Wallboard.objects.get(name="Hala B").thresholds == {"asa": {"amber": 25, "red": 40}}


def test_a_supervisor_acknowledges_a_breach_it_is_recorded_and_silenced(client):
    from django.core.cache import cache

    from crm_bridge.models import ActionLog

    cache.delete(alerts.ACKS)
    since = timezone.now() - timedelta(minutes=16)
    Agent.objects.create(
        login="late", group_id=7, status=AgentStatus.PAUSED, pause_id=3, status_since=since
    )
    url = reverse("alert-acknowledge", args=["late"])
    client.force_login(make_user("viewer", role="viewer"))
    assert client.post(url).status_code == 403  # a viewer only watches
    client.force_login(make_user("other", role="supervisor", groups=[8]))
    assert client.post(url).status_code == 403  # not their team
    client.force_login(make_user("boss", role="supervisor", groups=[7]))
    assert client.post(url).status_code == 302
    entry = ActionLog.objects.get(action="acknowledge")
    assert (entry.target, entry.user.username, entry.params["level"]) == ("late", "boss", "red")
    page = client.get(reverse("board")).content.decode()
    row = page[page.index('id="agent-late"') :].split(">")[0]
    assert 'data-ack="red" data-ack-by="boss"' in row
    # A new status is a new breach: the acknowledgement no longer holds.
    Agent.objects.filter(login="late").update(status_since=since + timedelta(seconds=1))
    alerts._memo.clear()
    page = client.get(reverse("board")).content.decode()
    assert "data-ack=" not in page[page.index('id="agent-late"') :].split(">")[0]
    cache.delete(alerts.ACKS)
