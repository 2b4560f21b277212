"""Today's queue numbers come from interval counters the fold keeps as events arrive: they
must equal what the calls themselves add up to, whatever the order of delivery, the batches
the pipeline applies them in, calls closed by the poll, or a service-level threshold changed
in admin; and they outlive the calls (pruned raw rows keep their numbers)."""

import random
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from crm_bridge import pipeline, receiver
from crm_bridge.models import QueueInterval
from crm_bridge.parse import format_local
from crm_bridge.queue_events import close_lost_calls, recount
from dashboard.models import Queue, QueueCall
from dashboard.queues import day_start, queue_stats

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def _counters() -> set:
    fields = ("queue_id", "start", "max_wait", *QueueInterval.COUNTERS)
    return set(QueueInterval.objects.exclude(offered=0).values_list(*fields))


def _a_call(rng: random.Random, n: int, start) -> list[dict]:
    """One call's events, some of its life: waits, then is answered (and maybe completed,
    maybe not), abandoned, or still waits; in one of three queues."""
    cid, queue, agent = f"c{n}", str(rng.choice([155, 156, 157])), f"agent{rng.randint(1, 5)}"
    t = start + timedelta(seconds=rng.randint(0, 3 * 3600))
    wait = rng.randint(0, 90)

    def at(seconds):
        return format_local(t + timedelta(seconds=seconds))

    base = {"connection_id": cid, "queue_id": queue}
    events = [{"action": "ENTER_QUEUE", **base, "date": at(0)}]
    fate = rng.choice(["answered", "completed", "abandoned", "waiting"])
    if fate in ("answered", "completed"):
        events += [
            {"action": "AGENT_CONNECTED", **base, "agent_login": agent, "date": at(wait)},
            {"action": "EXIT_QUEUE", **base, "date": at(wait)},
        ]
    if fate == "completed":
        events.append({"action": "AGENT_COMPLETED", **base, "agent_login": agent,
                       "duration": str(rng.randint(10, 600)), "date": at(wait + 300)})  # fmt: skip
    if fate == "abandoned":
        events.append({"action": "ABANDONED", **base, "hold_time": str(wait), "date": at(wait)})
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counters_equal_the_calls_in_any_order_and_batches(seed):
    rng = random.Random(seed)
    start = day_start() + timedelta(minutes=1)
    if timezone.now() - start < timedelta(hours=4):
        start = timezone.now() - timedelta(hours=4)  # a morning's calls, all in the past
    events = [e for n in range(60) for e in _a_call(rng, n, start)]
    rng.shuffle(events)  # Thulium promises no order
    stored = [receiver.to_event(urlencode(e).encode(), FORM) for e in events]
    while stored:  # delivered and applied in batches of every size
        size = rng.randint(1, 40)
        receiver.store(stored[:size])
        stored = stored[size:]
        pipeline.process_pending(limit=rng.randint(1, 60))
    while pipeline.process_pending():
        pass
    close_lost_calls([f"agent{n}" for n in range(1, 3)])  # the poll: these are on no call

    kept = _counters()
    assert sum(row[3] for row in kept) == 60  # offered: every call once
    recount(start - timedelta(days=1))
    assert _counters() == kept  # the same as counted from the calls themselves

    # What a supervisor reads: today's tiles add up to the calls.
    stats = {s.queue.number: s for s in queue_stats()}
    calls = QueueCall.objects.filter(entered_at__gte=day_start())
    for number, s in stats.items():
        mine = calls.filter(queue__number=number)
        assert s.today.offered == mine.count()
        assert s.today.answered == mine.filter(outcome="answered").count()
        assert s.today.abandoned == mine.filter(outcome="abandoned").count()
        assert s.today.handled == mine.filter(completions__gt=0).count()


def test_the_numbers_outlive_the_calls(client, a_day_begun_hours_ago):
    """Pruned calls leave their queue's numbers as they were."""
    when = timezone.now() - timedelta(minutes=30)
    for n, wait in enumerate([5, 50]):
        cid = {"connection_id": f"p{n}", "queue_id": "155"}
        for action, seconds in (("ENTER_QUEUE", 0), ("AGENT_CONNECTED", wait)):
            event = {
                "action": action,
                **cid,
                "agent_login": "a",
                "date": format_local(when + timedelta(seconds=seconds)),
            }
            receiver.store([receiver.to_event(urlencode(event).encode(), FORM)])
    pipeline.process_pending()
    before = next(s for s in queue_stats() if s.queue.number == 155).today
    QueueCall.objects.all().delete()
    after = next(s for s in queue_stats() if s.queue.number == 155).today
    assert (after.offered, after.answered, after.answered_in_sl, after.max_wait) == (2, 2, 1, 50)
    assert after == before
    assert Queue.objects.filter(number=155).exists()
