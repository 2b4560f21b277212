"""Thin Celery tasks: take a lock so two polls never overlap, then call crm_bridge.sync."""

import logging
from contextlib import contextmanager

from celery import shared_task
from django.core.cache import cache

from . import campaign_sync, sync
from .client import ThuliumError

log = logging.getLogger(__name__)


@contextmanager
def _exclusive(name: str, ttl: int):
    key = f"lock:{name}"
    acquired = cache.add(key, "1", timeout=ttl)
    try:
        yield acquired
    finally:
        if acquired:
            cache.delete(key)


@shared_task(ignore_result=True)
def poll_agent_statuses() -> None:
    with _exclusive(sync.STATUSES, ttl=60) as acquired:
        if not acquired:
            log.info("agents_statuses poll still running; this one is dropped")
            return
        try:
            sync.poll_statuses()
        except ThuliumError:
            pass  # recorded in PollState by sync; the next beat tries again


@shared_task(ignore_result=True)
def poll_agent_directory() -> None:
    with _exclusive(sync.DIRECTORY, ttl=120) as acquired:
        if not acquired:
            return
        try:
            sync.poll_directory()
        except ThuliumError:
            pass


@shared_task(ignore_result=True)
def poll_campaign_stats() -> None:
    with _exclusive(campaign_sync.STATS, ttl=60) as acquired:
        if not acquired:
            return
        try:
            campaign_sync.poll_stats()
        except ThuliumError:
            pass


@shared_task(ignore_result=True)
def poll_campaign_list() -> None:
    with _exclusive(campaign_sync.LIST, ttl=300) as acquired:
        if not acquired:
            return
        try:
            campaign_sync.poll_list()
        except ThuliumError:
            pass


@shared_task(ignore_result=True)
def watch_data_health() -> None:
    sync.watch_health()
