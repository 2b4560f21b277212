"""Thin Celery tasks: take a lock so two polls never overlap, then call crm_bridge's polls."""

import logging

from celery import shared_task
from django.core.cache import cache

from . import campaign_sync, channel_sync, customers, retention, sync
from .client import ThuliumError

log = logging.getLogger(__name__)


def _poll_exclusively(name: str, ttl: int, poll) -> None:
    """Run one poll unless the previous one still runs (then this one is dropped).

    Thulium's errors are already recorded in PollState by the poll; the next beat tries again.
    """
    key = f"lock:{name}"
    if not cache.add(key, "1", timeout=ttl):
        log.info("%s poll still running; this one is dropped", name)
        return
    try:
        poll()
    except ThuliumError:
        pass
    finally:
        cache.delete(key)


@shared_task(ignore_result=True)
def poll_agent_statuses() -> None:
    _poll_exclusively(sync.STATUSES, 60, sync.poll_statuses)


@shared_task(ignore_result=True)
def poll_agent_directory() -> None:
    _poll_exclusively(sync.DIRECTORY, 120, sync.poll_directory)


@shared_task(ignore_result=True)
def poll_campaign_stats() -> None:
    _poll_exclusively(campaign_sync.STATS, 60, campaign_sync.poll_stats)


@shared_task(ignore_result=True)
def poll_campaign_list() -> None:
    _poll_exclusively(campaign_sync.LIST, 300, campaign_sync.poll_list)


@shared_task(ignore_result=True)
def poll_channels() -> None:
    """Today's chat summary and e-mail (ticket) numbers."""
    _poll_exclusively("channels", 60, channel_sync.poll)


@shared_task(ignore_result=True)
def watch_data_health() -> None:
    sync.watch_health()


@shared_task(ignore_result=True)
def prune_history() -> None:
    """Raw events and calls older than EVENT_RETENTION_DAYS go; the aggregates stay."""
    _poll_exclusively("prune-history", 120, retention.prune)


@shared_task(ignore_result=True)
def identify_callers(callers: list) -> None:
    """Ask Thulium's CRM who calls from these numbers and show what it said; what this
    second's turns (or a Thulium hiccup) left is asked again a second later."""
    learned, later = customers.identify([tuple(c) for c in callers])
    customers.show(learned)
    if later:
        identify_callers.apply_async((later,), countdown=1)
