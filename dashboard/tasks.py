"""Periodic refresh of the queue numbers: the rolling window moves and unended calls expire
even when no event arrives; every open board and wallboard gets the fresh panel."""

from celery import shared_task

from .live_queues import push_agents, push_queues


@shared_task(ignore_result=True)
def refresh_queues() -> None:
    push_queues()
    push_agents()
