"""Out-of-order and duplicate deliveries give the same numbers as a tidy feed."""

import random

import pytest

from crm_bridge.models import QueueInterval
from dashboard.models import QueueCall
from tests.test_queue_metrics import day_of_queue_155, post, stats_of

pytestmark = pytest.mark.django_db


def _numbers(s):
    return (
        s.today.offered,
        s.today.answered,
        s.today.answered_in_sl,
        s.today.abandoned,
        s.today.short_abandons,
        s.today.wait_sum,
        s.today.max_wait,
        s.today.handle_sum,
        s.today.handled,
        s.window.offered,
        s.window.answered,
        s.waiting,
    )


def test_shuffled_events_give_the_same_numbers(client, django_db_blocker):
    events = day_of_queue_155()
    for action, fields in events:
        post(client, action, **fields)
    tidy = _numbers(stats_of(155))
    tidy_rows = sorted(
        QueueCall.objects.values_list("contact_id", "outcome", "wait_seconds", "handle_seconds")
    )

    QueueCall.objects.all().delete()
    QueueInterval.objects.all().delete()
    shuffled = list(events)
    random.Random(3).shuffle(shuffled)
    for action, fields in shuffled:  # new connection ids so these are not duplicates
        fields = {**fields, "connection_id": "s-" + fields["connection_id"]}
        post(client, action, **fields)
    assert _numbers(stats_of(155)) == tidy
    rows = sorted(
        (cid[2:], outcome, wait, handle)
        for cid, outcome, wait, handle in QueueCall.objects.values_list(
            "contact_id", "outcome", "wait_seconds", "handle_seconds"
        )
    )
    assert rows == tidy_rows


def test_completed_before_connected_still_counts_the_real_answer_time(client):
    q = 155
    post(client, "ENTER_QUEUE", connection_id="o1", queue_id=q, date="2025-03-10 11:00:00")
    post(
        client,
        "AGENT_COMPLETED",
        connection_id="o1",
        queue_id=q,
        agent_login="a1",
        duration=100,
        billsec=90,
        date="2025-03-10 11:02:00",
    )
    call = QueueCall.objects.get(contact_id="o1")
    assert (call.outcome, call.wait_seconds, call.answered_estimated) == ("answered", 30, True)
    post(client, "AGENT_CONNECTED", connection_id="o1", queue_id=q, agent_login="a1",
         date="2025-03-10 11:00:25")  # fmt: skip
    call.refresh_from_db()
    assert (call.wait_seconds, call.answered_estimated) == (25, False)


def test_duplicate_deliveries_change_nothing(client):
    events = day_of_queue_155()
    for action, fields in events:
        post(client, action, **fields)
    before = _numbers(stats_of(155))
    for action, fields in events:
        assert post(client, action, **fields)["status"] == "duplicate"
    assert _numbers(stats_of(155)) == before
