"""Receive, step 1 of the pipeline: a webhook body into a normalised event that any database
stores as it is, or a refusal that says why.

Thulium posts application/x-www-form-urlencoded (every value a string, empty ones sometimes
the string "null"); JSON is accepted too. Whatever arrives, the event this makes is bounded:
every number the folds read is a whole number in range (or the delivery is refused), the date
is inside a sane window (one from the future is clamped to the receive time and flagged),
every string is cut to its column, there are no NUL characters (PostgreSQL refuses them), no
lone surrogates (JSON's "\\ud800": no driver encodes one, PostgreSQL's JSON refuses it) and no
NaN or infinity (neither does its JSON). Nothing here touches the database.
"""

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from django.utils import timezone

from .events import AGENT_ACTIONS
from .models import WebhookEvent
from .parse import is_null, to_datetime, to_str

MAX_BODY_BYTES = 256 * 1024  # larger: 413, kept as refused, read no further
MAX_FIELDS = 100
MAX_KEY = 64
MAX_VALUE = 2000  # characters of one field's value kept in `data`
INT_MAX = 2_147_483_647  # every id and duration the folds store fits an IntegerField
OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(minutes=5)  # a date further ahead is clamped to the receive time

# Fields of the document's events that are whole numbers; anything else in them is refused.
INT_FIELDS = (
    "pause_id",
    "previous_pause_id",
    "queue_id",
    "chat_queue_id",
    "hold_time",
    "duration",
    "billsec",
    "attempt",
    "record_id",
    "status_id",
    "previous_status_id",
    "customer_id",
    "company_id",
    "file_id",
)
NEEDS_AGENT = AGENT_ACTIONS  # agent events make no sense without the agent
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ACTION = re.compile(r"[A-Z0-9_]{1,64}")


class Refused(ValueError):
    """Not an event: the message says why (sent back with the 400 and kept with the body)."""

    status = 400


class TooLarge(Refused):
    status = 413


def decode(body: bytes) -> str:
    """The body as text, with what no database stores (NUL) taken out."""
    return body.decode("utf-8", errors="replace").replace("\x00", "")


def parse_body(raw: str, content_type: str) -> dict:
    """The event's fields from a form-encoded or JSON body."""
    if not raw.strip():
        raise Refused("Empty body: expected form-encoded or JSON fields with an 'action'")
    looks_json = raw.lstrip().startswith("{")
    if content_type == "application/json" or (looks_json and "form" not in content_type):
        return _json_fields(raw)
    if content_type in ("application/x-www-form-urlencoded", "", "text/plain") and "=" in raw:
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError as exc:  # more fields than that
            raise Refused(f"Too many fields: at most {MAX_FIELDS}") from exc
        return dict(pairs)  # a repeated field: the last one, as Django's QueryDict reads it
    raise Refused(
        f"Unsupported body ({content_type[:60] or 'no Content-Type'}): "
        "send application/x-www-form-urlencoded or application/json"
    )


def _json_fields(raw: str) -> dict:
    def no_constants(name):
        raise Refused(f"Body is not valid JSON: {name} is not a number JSON allows")

    try:
        # Numbers stay text, as in a form post: no float overflow, no 5,000-digit int.
        data = json.loads(raw, parse_int=str, parse_float=str, parse_constant=no_constants)
    except RecursionError as exc:
        raise Refused("Body is not valid JSON: nested too deep") from exc
    except ValueError as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused(f"Body is not valid JSON: {str(exc)[:120]}") from exc
    if not isinstance(data, dict):
        raise Refused("JSON body must be an object of fields")
    return data


def build_event(data: dict, received: datetime | None = None) -> WebhookEvent:
    """Validate the fields and make the (unsaved, pending) event."""
    received = received or timezone.now()
    if len(data) > MAX_FIELDS:
        raise Refused(f"Too many fields: at most {MAX_FIELDS}")
    normal = {_key(k): _value(v) for k, v in data.items()}
    action = normal.get("action")
    if not isinstance(action, str) or is_null(action):
        raise Refused("Missing field 'action'")
    action = action.strip().upper()
    if not ACTION.fullmatch(action):
        raise Refused(f"Field 'action' is not an action name: {action[:64]!r}")
    normal["action"] = action
    for name in INT_FIELDS:
        if name in normal:
            normal[name] = _whole_number(name, normal[name])
    event_date, note = _date(normal.get("date"), received)
    agent_login = to_str(normal.get("agent_login"))
    if action in NEEDS_AGENT and not agent_login:
        raise Refused(f"{action} needs 'agent_login'")
    return WebhookEvent(
        action=action,
        data=normal,
        event_date=event_date,
        agent_login=agent_login[:100],
        connection_id=to_str(normal.get("connection_id"))[:64],
        dedup_key=dedup_key(normal),
        note=note[:200],
    )


def refused_event(raw: str, content_type: str, reason: str) -> WebhookEvent:
    """A refused delivery is stored too (Django admin → Webhook events, state "refused")."""
    return WebhookEvent(
        body=raw,
        content_type=content_type[:100],
        error=reason[:300],
        state=WebhookEvent.State.REFUSED,
        dedup_key=hashlib.sha256(f"refused:{raw}".encode()).hexdigest(),
    )


def dedup_key(normal: dict) -> str:
    """Thulium sends no event id: the same fields (7 and "7" alike) are the same event."""
    flat = {k: v if v is None else str(v) for k, v in normal.items()}
    canonical = json.dumps(flat, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key(key) -> str:
    return _text(str(key))[:MAX_KEY]


def _value(value):
    """A field's value as None, bool or text; nested JSON kept as (cut) JSON text."""
    if is_null(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dict | list):
        try:
            value = json.dumps(value, separators=(",", ":"))
        except (RecursionError, ValueError):
            value = "[unreadable]"
    return _text(str(value))[:MAX_VALUE]


def _text(text: str) -> str:
    """Without NUL, and with a lone surrogate (only JSON's escapes make one) as U+FFFD."""
    text = text.replace("\x00", "")
    return text if text.isascii() else LONE_SURROGATE.sub("\ufffd", text)


def _whole_number(name: str, value):
    """An id or a number of seconds: "7", 7 and "7.0" read 7; out of range is refused."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        number = float(text) if len(text) <= 20 else float("inf")
    except ValueError:
        number = None
    if number is None or not (0 <= number <= INT_MAX) or number != int(number):
        raise Refused(
            f"Field '{name}' must be a whole number from 0 to {INT_MAX}, got {text[:40]!r}"
        )
    return int(number)


def _date(value, received: datetime) -> tuple[datetime, str]:
    """The event's date, and a note when it was missing or from the future."""
    text = to_str(value)
    if not text:
        return received, "no date: the receive time is used"
    moment = to_datetime(text[:40])
    if moment is None:
        raise Refused(f"Field 'date' is not a date (YYYY-MM-DD HH:MM:SS): {text[:40]!r}")
    if moment.year > 2100 or _later(moment, received + FUTURE_SLACK):
        return received, f"date {text[:40]} is in the future: clamped to the receive time"
    if moment.year < 2000 or not _later(moment, OLDEST):
        raise Refused(f"Field 'date' is out of range (before 2000): {text[:40]!r}")
    return moment, ""


def _later(moment: datetime, than: datetime) -> bool:
    try:
        return moment > than
    except OverflowError:  # 9999-12-31T23:59:59-12:00 cannot be put in UTC
        return moment.year > than.year
