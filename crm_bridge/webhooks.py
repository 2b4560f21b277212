"""POST /webhooks/thulium/: Thulium's event feed.

Thulium posts application/x-www-form-urlencoded (every value a string, empty ones sometimes
the string "null"); JSON is accepted too. Every well-formed delivery is stored with its raw
body before it is answered; a duplicate is recognised by its content and changes nothing.
"""

import base64
import binascii
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .events import AGENT_ACTIONS, apply_agent_event
from .models import WebhookEvent
from .parse import is_null, to_datetime, to_str
from .signals import webhook_received

log = logging.getLogger(__name__)


class Malformed(ValueError):
    """The body cannot be an event: the message says why (sent back with the 400)."""


@csrf_exempt
@require_POST
def thulium_webhook(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        response = JsonResponse({"error": "Authentication required"}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="thulium-webhooks"'
        return response
    raw = request.body.decode("utf-8", errors="replace")
    content_type = request.content_type or ""
    try:
        if content_type == "multipart/form-data":
            data = {key: request.POST[key] for key in request.POST}
        else:
            data = parse_body(raw, content_type)
        event = build_event(data)
    except Malformed as exc:
        _keep_rejected(raw, content_type, str(exc))
        return JsonResponse({"error": str(exc)}, status=400)
    event.body, event.content_type = raw, content_type[:100]
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        WebhookEvent.objects.filter(dedup_key=event.dedup_key).update(
            duplicates=F("duplicates") + 1
        )
        return JsonResponse({"status": "duplicate"})
    with transaction.atomic():
        apply_agent_event(event)
        webhook_received.send(sender=WebhookEvent, event=event)
    known = event.action in AGENT_ACTIONS or webhook_received.has_listeners(WebhookEvent)
    return JsonResponse({"status": "ok" if known else "ignored", "id": event.pk})


def _keep_rejected(raw: str, content_type: str, reason: str) -> None:
    """A refused delivery is stored too (Django admin → Webhook events, filter "refused")."""
    key = hashlib.sha256(f"refused:{raw}".encode()).hexdigest()
    WebhookEvent.objects.get_or_create(
        dedup_key=key,
        defaults={"body": raw, "content_type": content_type[:100], "error": reason[:300]},
    )


def _authorised(request: HttpRequest) -> bool:
    user, password = settings.THULIUM_WEBHOOK_USER, settings.THULIUM_WEBHOOK_PASSWORD
    if not user and not password:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


def parse_body(raw: str, content_type: str) -> dict:
    """The event's fields from a form-encoded or JSON body."""
    if not raw.strip():
        raise Malformed("Empty body: expected form-encoded or JSON fields with an 'action'")
    looks_json = raw.lstrip().startswith("{")
    if content_type == "application/json" or (looks_json and "form" not in content_type):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise Malformed(f"Body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise Malformed("JSON body must be an object of fields")
        return data
    if content_type in ("application/x-www-form-urlencoded", "", "text/plain") and "=" in raw:
        form = QueryDict(raw, encoding="utf-8")
        return {key: form[key] for key in form}
    raise Malformed(
        f"Unsupported body ({content_type or 'no Content-Type'}): "
        "send application/x-www-form-urlencoded or application/json"
    )


def build_event(data: dict) -> WebhookEvent:
    """Validate the fields and make the (unsaved) event."""
    action = data.get("action")
    if not isinstance(action, str) or is_null(action):
        raise Malformed("Missing field 'action'")
    action = action.strip().upper()
    if not action.replace("_", "").isalnum():
        raise Malformed(f"Field 'action' is not an action name: {action[:64]!r}")
    date_text = to_str(data.get("date"))
    event_date = to_datetime(date_text) if date_text else None
    if date_text and event_date is None:
        raise Malformed(f"Field 'date' is not a date (YYYY-MM-DD HH:MM:SS): {date_text[:40]!r}")
    agent_login = to_str(data.get("agent_login"))
    if action in AGENT_ACTIONS and not agent_login:
        raise Malformed(f"{action} needs 'agent_login'")
    normal = {k: (None if is_null(v) else v) for k, v in data.items() if isinstance(k, str)}
    normal["action"] = action
    # Form posts carry strings, JSON may carry numbers: the key treats 7 and "7" alike.
    flat = {k: v if v is None or isinstance(v, dict | list) else str(v) for k, v in normal.items()}
    canonical = json.dumps(flat, sort_keys=True, default=str, separators=(",", ":"))
    return WebhookEvent(
        action=action[:64],
        data=normal,
        event_date=event_date,
        agent_login=agent_login[:100],
        connection_id=to_str(data.get("connection_id"))[:64],
        dedup_key=hashlib.sha256(canonical.encode()).hexdigest(),
    )
