"""Formatting for queue numbers: durations as m:ss, percentages whole, "—" when undefined."""

from django import template

register = template.Library()

NONE = "—"


@register.filter
def mmss(seconds) -> str:
    """72 -> "1:12", 3725 -> "1:02:05"; None -> "—" (no calls to average over)."""
    if seconds is None or seconds == "":
        return NONE
    seconds = max(0, round(float(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def pct(value) -> str:
    if value is None or value == "":
        return NONE
    return f"{round(float(value))}%"
