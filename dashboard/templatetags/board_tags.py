"""An agent row's fixed parts (board.html#agent-row), written in Python: a board of 1,000 rows
renders each row once per team and language, and the same cells as template tags and filters
cost about forty variable lookups a row. Escaped as the template would; the words in the
active language (a push renders each row once per language)."""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_bridge.models import AgentStatus

from ..alerts import thresholds
from .queue_tags import mmss

register = template.Library()
LABELS = dict(AgentStatus.choices)


def _e(value) -> str:
    return escape(str(value), quote=True)


@register.simple_tag
def agent_row_start(agent) -> str:
    """<tr ...> and the cells before the current call: who, group, status, pause, in status."""
    alert = thresholds().agent(agent)
    login, who = _e(agent.login), _e(agent.full_name or agent.login)
    status = _e(agent.status)
    group = "" if agent.group_id is None else _e(agent.group_id)
    out = [f'<tr id="agent-{login}" data-alert="{_e(alert.level)}"']
    if alert.limits:
        out.append(f' data-limits="{_e(alert.limits_json)}"')
    if alert.acked:
        out.append(f' data-ack="{_e(alert.acked)}" data-ack-by="{_e(alert.acked_by)}"')
    out.append(
        f' data-alert-subject="{who}" data-login="{login}" data-sort="{_e(agent.sort_key)}"'
        f' data-status="{status}" data-group="{group}" class="agent status-{status}"'
        f"{' hidden' if getattr(agent, 'hidden', False) else ''}>\n"
        f'<td class="who"><a href="{_e(agent.day_url)}" data-day><strong>{who}</strong></a>'
        f' <span class="login">{login}</span>'
    )
    if agent.phone_connected and agent.status != AgentStatus.OFF and agent.phone_number:
        out.append(
            f' <span class="phone" title="{_e(_("Phone connected"))}"><span aria-hidden="true">'
            f'☎</span><span class="visually-hidden">{_e(_("Phone"))}</span>'
            f" {_e(agent.phone_number)}</span>"
        )
    label = LABELS.get(agent.status, agent.status)
    out.append(
        f"</td>\n<td>{_e(agent.group_name)}</td>\n"
        f'<td><span class="badge status-{status}" data-field="status">{_e(label)}</span>'
    )
    if agent.phone_missing:
        out.append(f' <span class="phone-missing">{_e(_("Phone not connected"))}</span>')
    flag = ""
    if alert.level:
        flag = f"{_('Over limit') if alert.level == 'red' else _('Warning')}: {alert.text}"
    out.append(
        f' <span class="alert-flag" data-alert-flag>{_e(flag)}</span></td>\n'
        f'<td data-field="pause">{_e(agent.pause_label or "")}'
    )
    if agent.pending_label:
        then = _("then: %(next)s") % {"next": agent.pending_label}
        out.append(f' <span class="pending">{_e(then)}</span>')
    out.append("</td>\n<td>")
    if agent.status_since:
        since = timezone.localtime(agent.status_since).isoformat()
        out.append(f'<time class="ticker" data-since="{since}"></time>')
    out.append("</td>")
    return mark_safe("".join(out))


@register.simple_tag
def agent_today(agent) -> str:
    """The row's "Today" cell: calls answered · talk time · time in pauses."""
    day = agent.today
    paused = ""
    if agent.paused_from:
        since = timezone.localtime(agent.paused_from).isoformat()
        paused = f' data-paused="{day.paused}" data-paused-from="{since}"'
    return mark_safe(
        f'<td class="num"><span data-today="answered">{day.answered}</span> · '
        f'<span data-today="talk">{mmss(day.talk)}</span> · '
        f'<span data-today="paused"{paused}>{mmss(day.paused_now)}</span></td>'
    )


@register.simple_tag
def status_counts_bar(counts: list[dict], logged_in: int) -> str:
    """The board's status counts (board.html#status-counts): rendered for every team and
    language on each agent push, about 15 times cheaper here than as a template loop."""
    items = "".join(
        f'<li><a href="?status={c["status"]}" class="count status-{c["status"]}" '
        f'data-status-filter="{c["status"]}"><span class="n" data-count="{c["status"]}">'
        f"{c['count']}</span> {_e(c['label'])}</a></li>"
        for c in counts
    )
    n = int(logged_in)
    text = ngettext("%(n)s agent logged in", "%(n)s agents logged in", n) % {"n": n}
    return mark_safe(
        f'<ul id="status-counts" class="status-counts">{items}'
        f'<li class="logged-in" data-logged-in="{n}">{_e(text)}</li></ul>'
    )
