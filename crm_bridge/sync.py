"""Polling: bring the local mirror in line with Thulium and push only what changed."""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import client, heartbeats
from .client import ThuliumError
from .models import Agent, AgentGroup, Campaign, PollState, WebhookEvent
from .models.agents import LIVE_FIELDS, ON_CALL, RECONCILE_FIELDS, AgentStatus, not_after_now
from .signals import (
    notify_agents_changed,
    notify_campaigns_changed,
    notify_poll_health,
    notify_queues_changed,
)

log = logging.getLogger(__name__)

STATUSES = "agent-statuses"
DIRECTORY = "agent-directory"
STALE_AFTER = timedelta(seconds=30)
LAG_SHOWN = 5  # seconds: webhook events waiting longer than this are shown as late
SAME_CHANGE = timedelta(seconds=3)  # the poll's last_change this close to ours: no news
# The poll is the authority on status. A status a webhook set this recently is corrected only
# when a second poll in a row contradicts it: the first may have been answered before the
# event happened.
WEBHOOK_GRACE = timedelta(seconds=30)
# A call is closed as lost only when nothing about its agent arrived this shortly before the
# poll was asked (the poll's answer may not show it yet).
LOST_CALL_QUIET = timedelta(seconds=10)
KNOWN_STATUSES = frozenset(AgentStatus.values)
POLL_FIELDS = LIVE_FIELDS + RECONCILE_FIELDS


def _known(status: str) -> str:
    """A status this code does not know (a newer Thulium's) counts as being on a call."""
    return status if status in KNOWN_STATUSES else AgentStatus.CALL


def poll_statuses() -> list[str]:
    """One agents_statuses cycle. Returns the logins whose live state changed.

    Costs a constant number of queries whatever the number of agents: when nothing changed,
    one read of every agent's live state and one write of poll health; with changes, a second
    read of the agents to write (one the event processor moved meanwhile is left to the next
    poll: _moved_since), one UPDATE of the changed fields run per agent, and the lost-call
    check (_forget_lost_calls).
    """
    asked = timezone.now()
    with _health(STATUSES):
        answer = client.get_agent_statuses(include_logged_off=True)
    now = timezone.now()
    polled = {}
    for info in answer:
        status = _known(info.status)
        pause_id = info.pause_id if status == AgentStatus.PAUSED else None
        since = not_after_now(info.last_change, now) if info.last_change else None
        polled[info.login] = (status, pause_id, since)
    agents = {a.login: a for a in Agent.objects.only("login", *POLL_FIELDS)}
    created = [_new_agent(login, *state) for login, state in polled.items() if login not in agents]
    changed, written, fields, idle, read = [], [], set(), set(), {}
    # A Thulium that leaves out logged-off agents despite include_logged_off: they are OFF.
    off = (AgentStatus.OFF, None, None)
    for login, agent in agents.items():
        status, pause_id, since = polled.get(login, off)
        if not _agrees(agent, status, pause_id, since):
            before = read[login] = [getattr(agent, f) for f in POLL_FIELDS]
            if _reconcile(agent, status, pause_id, since, now):
                changed.append(agent)
            written.append(agent)
            fields.update(
                f for f, b in zip(POLL_FIELDS, before, strict=True) if getattr(agent, f) != b
            )
        if status not in ON_CALL and not agent.on_call:
            idle.add(login)
    if not (written or created):
        return []
    with transaction.atomic():
        if moved := _moved_since(read):  # an event applied meanwhile: the next poll sees it
            written = [a for a in written if a.login not in moved]
            changed = [a for a in changed if a.login not in moved]
        if created:
            Agent.objects.bulk_create(created, ignore_conflicts=True)
            transaction.on_commit(_fetch_directory_soon)
        if fields and written:
            Agent.write_fields(written, sorted(fields))
        if changed:
            _forget_lost_calls(idle, asked)
        notify_agents_changed([a.login for a in changed + created])
    return [a.login for a in changed + created]


def _moved_since(read: dict[str, list]) -> set[str]:
    """The agents whose row changed since the poll read it (the event processor applied an
    event meanwhile), read again inside the poll's write transaction (SQLite: under the write
    lock; PostgreSQL: their rows locked): the poll never writes back what it read before."""
    if not read:
        return set()
    rows = Agent.objects.select_for_update().filter(login__in=list(read))
    return {login for login, *now in rows.values_list("login", *POLL_FIELDS) if now != read[login]}


def _new_agent(login: str, status: str, pause_id: int | None, since) -> Agent:
    agent = Agent(login=login)
    agent.apply_status(status, pause_id, since)
    return agent


def _agrees(agent: Agent, status: str, pause_id: int | None, since) -> bool:
    """Whether the poll says what the mirror shows, with nothing to write. A start time a
    second or two off the webhook's is the same change seen twice, not worth a push."""
    return (
        agent.status == status
        and agent.pause_id == pause_id
        and (since is None or _close(since, agent.status_since))
        and not agent.poll_disagreements
    )


def _close(since, known) -> bool:
    return known is not None and abs(since - known) <= SAME_CHANGE


def _reconcile(agent: Agent, status: str, pause_id: int | None, since, now) -> bool:
    """Bring one agent in line with the poll; returns whether the board changes."""
    if agent.status == status and agent.pause_id == pause_id:
        agent.poll_disagreements = 0
        if since is not None and _close(since, agent.status_since):
            since = None  # the same change seen twice (after a disagreement): no new row to push
        return agent.apply_status(status, pause_id, since, now=now)  # Thulium's since
    recent = agent.webhook_at is not None and now - agent.webhook_at < WEBHOOK_GRACE
    if recent and agent.poll_disagreements == 0:
        agent.poll_disagreements = 1  # wait for the next poll
        return False
    agent.poll_disagreements, agent.webhook_at = 0, None
    return agent.apply_status(status, pause_id, since, now=now)


def _forget_lost_calls(idle: set[str], asked) -> None:
    """Agents that Thulium and the mirror both show off any call are on no call here either:
    their calls whose end never arrived (lost in a restart, say) stop counting as "talking"
    in the queue tiles and the campaigns. An agent with an event received shortly before the
    poll was asked waits for the next poll (its answer may predate that event)."""
    heard = WebhookEvent.objects.filter(received_at__gte=asked - LOST_CALL_QUIET)
    idle = idle - set(heard.exclude(agent_login="").values_list("agent_login", flat=True))
    if not idle:
        return
    campaigns = Campaign.objects.select_for_update().exclude(on_call={})
    left = []
    for campaign in campaigns.only("campaign_id", "on_call"):
        if idle.intersection(campaign.on_call):
            campaign.on_call = {k: v for k, v in campaign.on_call.items() if k not in idle}
            campaign.save(update_fields=["on_call", "updated_at"])
            left.append(campaign.campaign_id)
    notify_campaigns_changed(left)
    from .queue_events import close_lost_calls

    if queues := close_lost_calls(idle):
        notify_queues_changed(queues)


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
    _name_chat_queues()
    return len(agents), len(groups)


def _name_chat_queues() -> None:
    """Chat queues named as Thulium names them (GET chats/queues), not "Chat 3": each one not
    named in admin yet. A tenant without chats (an error here) leaves the directory poll be."""
    from dashboard.models import Queue

    try:
        found = client.get_chat_queues()
    except ThuliumError as exc:
        log.info("No chat queue names from Thulium: %s", exc)
        return
    named = []
    for info in found:
        queue, _ = Queue.objects.get_or_create(kind=Queue.Kind.CHAT, number=info.chat_queue_id)
        if info.name and not queue.name:
            queue.name = info.name[:100]
            queue.save(update_fields=["name"])
            named.append(queue.pk)
    if named:
        notify_queues_changed(None)  # whole panels: the tiles' names


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
    "request_id", "lag": seconds the webhook events are late, or None when they are not,
    "stopped": the background processes that stopped (heartbeats.stopped(): "worker",
    "beat"), so nothing refreshes the agents' statuses}."""
    lag = WebhookEvent.ingest_lag()
    lag = round(lag) if lag > LAG_SHOWN else None
    stopped = heartbeats.stopped()
    state = PollState.objects.filter(name=STATUSES).first()
    if state is None:
        return {
            "stale": True,
            "since": None,
            "error": "No data from Thulium yet",
            "request_id": "",
            "lag": lag,
            "stopped": stopped,
        }
    too_old = state.last_ok is None or timezone.now() - state.last_ok > STALE_AFTER
    return {
        "stale": state.failing or too_old,
        "since": state.last_ok,
        "error": state.last_error,
        "request_id": state.last_request_id,
        "lag": lag,
        "stopped": stopped,
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
        agent.poll_disagreements = 0  # a fresh answer, asked after the action
        if not agent.apply_status(status, info.pause_id, info.last_change):
            return False
        agent.save()
        notify_agents_changed([login])
    return True
