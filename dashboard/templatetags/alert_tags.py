"""An agent row's and a queue tile's alert (dashboard/alerts.py), for the templates."""

from django import template

from ..alerts import Alert, thresholds

register = template.Library()


@register.simple_tag
def agent_alert(agent) -> Alert:
    return thresholds().agent(agent)


@register.simple_tag
def queue_alert(s) -> Alert:
    return thresholds().queue(s)
