"""Restart-safe: the numbers live in the database, and a rebuild from the stored events
(what `manage.py queue_rebuild` does) gives exactly the same numbers."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from crm_bridge.queue_events import rebuild
from dashboard.models import Queue, QueueCall
from dashboard.queues import day_start, queue_stats
from tests.test_queue_metrics import NOW, day_of_queue_155, post

pytestmark = pytest.mark.django_db


def _all_numbers():
    return [
        (s.key, vars(s.today), vars(s.window), s.waiting, s.oldest_entered, s.in_progress)
        for s in queue_stats(now=NOW)
    ]


def test_a_rebuild_from_stored_events_gives_the_same_numbers(client):
    for action, fields in day_of_queue_155():
        post(client, action, **fields)
    post(client, "CHAT_CONVERSATION_CREATED", conversation_id="k", chat_queue_id=2,
         date="2025-03-10 11:58:00")  # fmt: skip
    before = _all_numbers()

    QueueCall.objects.all().delete()  # everything derived is gone, as after a wipe
    assert rebuild(day_start(NOW) - timedelta(days=1)) > 0
    assert _all_numbers() == before


def test_the_rebuild_command_keeps_queue_names_and_settings(client):
    for action, fields in day_of_queue_155():
        post(client, action, **fields)
    Queue.objects.filter(number=155).update(name="BOK", sl_threshold_seconds=30)
    before = _all_numbers()
    call_command("queue_rebuild", "--days", "700")
    assert _all_numbers() == before
    assert Queue.objects.get(number=155).name == "BOK"
