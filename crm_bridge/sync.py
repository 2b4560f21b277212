"""Polling: bring the local mirror in line with Thulium and push only what changed."""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import client
from .client import ThuliumError
from .models import Agent, AgentGroup, PollState, WebhookEvent
from .models.agents import LIVE_FIELDS, AgentStatus
from .signals import notify_agents_changed, notify_poll_health

log = logging.getLogger(__name__)

STATUSES = "agent-statuses"
DIRECTORY = "agent-directory"
STALE_AFTER = timedelta(seconds=30)
LAG_SHOWN = 5  # seconds: webhook events waiting longer than this are shown as late
# A webhook that moved an agent moments ago beats a poll answer that is older than it; after
# this long the poll wins, so a lost webhook can't leave an agent wrong for good.
WEBHOOK_PRECEDENCE = timedelta(seconds=10)
KNOWN_STATUSES = frozenset(AgentStatus.values)


def _known(status: str) -> str:
    """A status this code does not know (a newer Thulium's) counts as being on a call."""
    return status if status in KNOWN_STATUSES else AgentStatus.CALL


def _webhook_is_newer(agent: Agent, info, fresh) -> bool:
    since = agent.status_since
    return bool(since and info.last_change and since > fresh and info.last_change < since)


def poll_statuses() -> list[str]:
    """One agents_statuses cycle. Returns the logins whose live state changed.

    Costs a constant number of queries when nothing changed: one read of every agent's live
    state and one write of poll health, whatever the number of agents.
    """
    with _health(STATUSES):
        statuses = {s.login: s for s in client.get_agent_statuses(include_logged_off=True)}
    agents = {a.login: a for a in Agent.objects.only("login", *LIVE_FIELDS)}
    changed, created = [], []
    fresh = timezone.now() - WEBHOOK_PRECEDENCE
    for login, info in statuses.items():
        agent = agents.get(login)
        if agent is None:
            agent = Agent(login=login)
            created.append(agent)
        elif _webhook_is_newer(agent, info, fresh):
            continue
        status = _known(info.status)
        if agent.apply_status(status, info.pause_id, info.last_change) and agent.pk:
            changed.append(agent)
    for login, agent in agents.items():
        # A Thulium that leaves out logged-off agents despite include_logged_off.
        if login not in statuses and agent.status != AgentStatus.OFF:
            agent.apply_status(AgentStatus.OFF, None, None)
            changed.append(agent)
    if not (changed or created):
        return []
    with transaction.atomic():
        if created:
            Agent.objects.bulk_create(created, ignore_conflicts=True)
            transaction.on_commit(_fetch_directory_soon)
        if changed:
            Agent.objects.bulk_update(changed, LIVE_FIELDS)
        notify_agents_changed([a.login for a in changed + created])
    return [a.login for a in changed + created]


def _fetch_directory_soon() -> None:
    """New logins appeared: fetch their names and groups now rather than within the minute."""
    from .tasks import poll_agent_directory

    try:
        poll_agent_directory.delay()
    except Exception:  # no broker (a one-off command): the minutely poll will do it
        log.info("Could not queue a directory poll; the minutely one will fetch new agents")


def poll_directory() -> tuple[int, int]:
    """Agents and groups (every minute). Returns (agents, groups) seen."""
    with _health(DIRECTORY):
        groups = client.get_agent_groups()
        agents = client.get_agents()
    directory_fields = [
        "agent_id",
        "name",
        "surname",
        "email",
        "number",
        "active",
        "outbound_mode",
        "group_id",
    ]
    existing = {a.login: a for a in Agent.objects.only("login", *directory_fields)}
    changed, created = [], []
    for info in agents:
        agent = existing.get(info.login) or Agent(login=info.login)
        values = {f: getattr(info, f) for f in directory_fields}
        if agent.pk is None:
            for field, value in values.items():
                setattr(agent, field, value)
            created.append(agent)
        elif any(getattr(agent, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(agent, field, value)
            changed.append(agent)
    seen = {a.login for a in agents}
    gone = [a for login, a in existing.items() if login not in seen and a.active]
    for agent in gone:
        agent.active = False
    with transaction.atomic():
        AgentGroup.objects.bulk_create(
            [AgentGroup(group_id=g.group_id, name=g.name) for g in groups],
            update_conflicts=True,
            unique_fields=["group_id"],
            update_fields=["name"],
        )
        if created:
            Agent.objects.bulk_create(created, ignore_conflicts=True)
        if changed or gone:
            Agent.objects.bulk_update(changed + gone, directory_fields)
        notify_agents_changed([a.login for a in changed + created + gone])
    return len(agents), len(groups)


class _health:
    """Records the outcome of one poll in PollState; re-raises Thulium's errors."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        now = timezone.now()
        state, _ = PollState.objects.get_or_create(name=self.name)
        was_failing = state.failing
        state.last_attempt = now
        if exc is None:
            state.last_ok, state.failing_since = now, None
            state.last_error, state.last_request_id = "", ""
        elif isinstance(exc, ThuliumError):
            state.failing_since = state.failing_since or now
            state.last_error = exc.message
            state.last_request_id = exc.request_id
            log.warning(
                "Thulium poll %s failed: %s (request_id=%s)", self.name, exc, exc.request_id
            )
        else:
            return False
        state.save()
        if was_failing != state.failing:
            notify_poll_health(self.name)
        return False


def watch_health() -> bool:
    """Push the board's health banner when freshness flips, even if the polls stopped running.

    Returns whether the data is stale now.
    """
    health = data_health()
    stale, late = health["stale"], health["lag"] is not None
    if cache.get("health:stale") != [stale, late]:
        cache.set("health:stale", [stale, late], timeout=None)
        notify_poll_health(STATUSES)
    return stale


def data_health() -> dict:
    """What the screens say about freshness: {"stale": bool, "since": dt, "error",
    "request_id", "lag": seconds the webhook events are late, or None when they are not}."""
    lag = WebhookEvent.ingest_lag()
    lag = round(lag) if lag > LAG_SHOWN else None
    state = PollState.objects.filter(name=STATUSES).first()
    if state is None:
        return {
            "stale": True,
            "since": None,
            "error": "No data from Thulium yet",
            "request_id": "",
            "lag": lag,
        }
    too_old = state.last_ok is None or timezone.now() - state.last_ok > STALE_AFTER
    return {
        "stale": state.failing or too_old,
        "since": state.last_ok,
        "error": state.last_error,
        "request_id": state.last_request_id,
        "lag": lag,
    }


def refresh_agent(login: str) -> bool:
    """Fetch one agent's status now (after an action) and push it if it changed."""
    try:
        info = client.get_agent_status(login)
    except ThuliumError as exc:
        log.info("Could not refresh %s after an action: %s", login, exc)
        return False
    with transaction.atomic():
        agent, _ = Agent.objects.select_for_update().get_or_create(login=login)
        status = _known(info.status)
        if not agent.apply_status(status, info.pause_id, info.last_change):
            return False
        agent.save()
        notify_agents_changed([login])
    return True
