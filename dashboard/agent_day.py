"""An agent's day so far: the totals from Thulium's agent work report (authoritative: the whole
day, also before this app started), and from the stored webhook events a timeline, time per
status (pauses by reason), calls, and what supervisors did to them (only what arrived here)."""

from datetime import datetime

from django.utils import timezone

from crm_bridge import work_report
from crm_bridge.client import ThuliumError
from crm_bridge.events import AGENT_ACTIONS, OUTBOUND_AGENT_ACTIONS, status_after
from crm_bridge.models import ActionLog, Agent, AgentStatus, PauseReason, WebhookEvent
from crm_bridge.parse import to_int

from .queues import day_start

LABELS = dict(AgentStatus.choices)


def agent_day(agent: Agent, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    start = day_start(now)
    events = list(
        WebhookEvent.objects.filter(
            agent_login=agent.login,
            action__in=AGENT_ACTIONS | OUTBOUND_AGENT_ACTIONS,
            event_date__gte=start,
            event_date__lte=now,
        )
        .order_by("event_date", "id")
        .values_list("action", "event_date", "data")
    )
    names = dict(PauseReason.objects.values_list("pause_id", "name"))
    timeline, totals = [], {}
    state, since = None, None  # unknown before the first event of the day
    answered = missed = talk = 0
    for action, moment, data in events:
        after = status_after(action, data)
        if after is None:
            continue
        if action == "AGENT_CONNECTED":
            answered += 1
        elif action == "AGENT_NOT_ANSWERED":
            missed += 1
        elif action in ("AGENT_COMPLETED", "OUTBOUND_COMPLETED"):
            talk += to_int(data.get("billsec")) or 0
        label = _label(after, names)
        if state is not None:
            totals[state] = totals.get(state, 0) + (moment - since).total_seconds()
        if label != state:
            timeline.append({"at": moment, "label": label, "status": after[0]})
        state, since = label, moment
    if state is not None:
        totals[state] = totals.get(state, 0) + (now - since).total_seconds()
    return {
        "agent": agent,
        "since": events[0][1] if events else start,  # what the events below count from
        "first_event": events[0][1] if events else None,
        "report": thulium_day(agent, now, names),
        "timeline": timeline[-50:],
        "totals": sorted(
            ({"label": k, "seconds": int(v)} for k, v in totals.items() if v >= 1),
            key=lambda t: -t["seconds"],
        ),
        "answered": answered,
        "missed": missed,
        "talk_seconds": talk,
        "actions": ActionLog.objects.filter(target=agent.login, created_at__gte=start)
        .select_related("user")
        .order_by("-created_at")[:10],
    }


def _label(after: tuple[str, int | None], names: dict) -> str:
    status, pause_id = after
    if status == AgentStatus.PAUSED:
        return f"{LABELS[status]}: {PauseReason.label(pause_id, names)}"
    return str(LABELS[status])


def thulium_day(agent: Agent, now: datetime, names: dict) -> dict:
    """Today's totals from Thulium's agents_work_report (by day, this agent, midnight to now):
    what Thulium counted, whatever this app missed; or why Thulium did not answer."""
    today = timezone.localtime(now).date()
    try:
        rows = work_report.fetch(today, now, logins=[agent.login], aggregate_by="day")
    except ThuliumError as exc:
        return {"error": exc}
    row = next((r for r in rows if r.login == agent.login), None)
    if row is None:
        return {"row": None}
    pauses = [
        {"label": PauseReason.label(p, names), "seconds": s}
        for p, s in sorted(row.pauses.items())
        if s
    ]
    return {"row": row, "pauses": pauses}
