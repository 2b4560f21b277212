"""Tolerant readers for Thulium's loose payloads.

The document mixes types freely: "" for empty, ints as strings and strings as ints, the
literal string "null" in webhooks, and dates with no zone (the tenant's local time).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

NULLISH = ("", "null", "NULL", "None", "none")


def is_null(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in NULLISH)


def to_str(value) -> str:
    """Text, with every flavour of empty as ""."""
    if is_null(value):
        return ""
    return str(value).strip()


def to_int(value) -> int | None:
    """An int from 3, "3", "3.0" or 3.0; None for empty or unreadable values."""
    if is_null(value) or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):  # "1e400", "inf"
            return None


def to_bool(value) -> bool | None:
    if is_null(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "t", "y"):
        return True
    if text in ("0", "false", "no", "f", "n"):
        return False
    return None


def tenant_tz() -> ZoneInfo:
    return ZoneInfo(settings.THULIUM_TIMEZONE)


def to_datetime(value) -> datetime | None:
    """An aware datetime from Thulium's naive local "YYYY-MM-DD HH:MM:SS" (or ISO forms)."""
    text = to_str(value)
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("T", " ").replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tenant_tz())
    return parsed


def format_local(moment: datetime) -> str:
    """The inverse of to_datetime: Thulium's naive local form."""
    return moment.astimezone(tenant_tz()).strftime("%Y-%m-%d %H:%M:%S")
