"""Receive, the pipeline's first stage: POST /webhooks/thulium/ authenticates, validates
(crm_bridge/intake.py), stores the event in one short transaction and answers. Nothing else
happens before the answer: no fold, no render, no Redis. The processor applies it after.

Two doors share every step: `webhook_app`, a plain ASGI app that config/asgi.py puts in front
of Django (production: no thread or middleware per request; concurrent deliveries are written
by one writer thread, many to a transaction), and `thulium_webhook`, the same as a Django
view (Django's test client, and multipart bodies). Both first refuse a source outside
THULIUM_WEBHOOK_ALLOWED_IPS (403, nothing stored; config/security.py).
"""

import asyncio
import base64
import binascii
import hmac
import json
import logging
import queue
import threading
import time
from collections import Counter
from concurrent.futures import Future
from functools import partial

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.security import webhook_source_refused

from . import intake, metrics, write_gate
from .models import WebhookEvent
from .pipeline import HANDLED

log = logging.getLogger(__name__)
delivery_log = logging.getLogger("thulium_live.webhook")  # one line per delivery
PATHS = ("/webhooks/thulium/", "/webhooks/thulium")
State = WebhookEvent.State
UNAVAILABLE = (503, {"error": "The event could not be stored (database unavailable): retry"})


# --- The steps both doors share ---------------------------------------------------------------


def authorised(header: str) -> bool:
    """Basic auth as configured (THULIUM_WEBHOOK_USER/PASSWORD; both empty: no auth)."""
    user, password = settings.THULIUM_WEBHOOK_USER, settings.THULIUM_WEBHOOK_PASSWORD
    if not user and not password:
        return True
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


def to_event(body: bytes, content_type: str, fields=None) -> WebhookEvent:
    """The event to store: a pending one, or a refused one carrying the reason. `fields`
    reads the form fields when the caller parses the body (Django, for multipart)."""
    raw = intake.decode(body[: intake.MAX_BODY_BYTES])
    if len(body) > intake.MAX_BODY_BYTES:
        reason = f"Body larger than {intake.MAX_BODY_BYTES} bytes: not read further"
        return intake.refused_event(raw, content_type, reason)
    try:
        data = fields() if fields is not None else intake.parse_body(raw, content_type)
        event = intake.build_event(data)
    except intake.Refused as exc:
        return intake.refused_event(raw, content_type, str(exc))
    event.body, event.content_type = raw, content_type[:100]
    return event


def store(events: list[WebhookEvent]) -> list[tuple[int, dict]]:
    """Store a batch in one transaction; one (HTTP status, answer) per event.

    A delivery seen before (same content) is counted as a duplicate, except that one whose
    first delivery failed to apply is queued again: a re-delivery retries, it is not lost.
    """
    with write_gate.turn(), transaction.atomic():
        return _store(events)


def _store(events: list[WebhookEvent]) -> list[tuple[int, dict]]:
    first: dict[str, WebhookEvent] = {}
    repeats = Counter()
    for event in events:
        if event.dedup_key in first:
            repeats[event.dedup_key] += 1
        else:
            first[event.dedup_key] = event
    inserted = _insert(list(first.values()))
    for key, event in first.items():
        if key in inserted:
            event.pk = event.id = inserted[key]
        else:  # stored before (also by another process meanwhile): a re-delivery
            repeats[key] += 1
    seen = {}
    if len(inserted) < len(first):
        others = [key for key in first if key not in inserted]
        for key, pk, state, error in WebhookEvent.objects.filter(dedup_key__in=others).values_list(
            "dedup_key", "id", "state", "error"
        ):
            seen[key] = (pk, state, error)
            update = {"duplicates": F("duplicates") + repeats.pop(key)}
            if state == State.FAILED:
                update.update(state=State.PENDING, error="")
            WebhookEvent.objects.filter(id=pk).update(**update)
        if len(seen) < len(others):  # stored and gone between two statements: not stored
            raise DatabaseError("An event was neither stored nor found: retry")
    for key, count in repeats.items():
        WebhookEvent.objects.filter(id=first[key].pk).update(duplicates=F("duplicates") + count)
    answers = []
    for event in events:
        key = event.dedup_key
        if key in seen:
            pk, state, error = seen[key]
            answers.append(_answer_seen(pk, state, error, state == State.FAILED))
        elif first[key] is not event:  # twice in one batch
            original = first[key]
            answers.append(_answer_seen(original.pk, original.state, original.error, False))
        else:
            answers.append(_answer_new(event))
    return answers


COLUMNS = [field for field in WebhookEvent._meta.concrete_fields if not field.primary_key]


def _insert(events: list[WebhookEvent]) -> dict[str, int]:
    """INSERT the events in one statement, skipping any whose dedup_key is stored already;
    {dedup_key: id} of those inserted. One SQL statement, not bulk_create: this is the
    webhook's hot path, and Django's insert compiler cost more than the insert itself."""
    if not events:
        return {}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in COLUMNS)
    row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    key, pk = quote("dedup_key"), quote("id")
    sql = (
        f"INSERT INTO {quote(WebhookEvent._meta.db_table)} ({columns}) "
        f"VALUES {', '.join([row] * len(events))} "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {pk}, {key}"
    )
    params = [
        field.get_db_prep_save(field.pre_save(event, True), connection)
        for event in events
        for field in COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: pk for pk, key in cursor.fetchall()}


def _answer_new(event: WebhookEvent) -> tuple[int, dict]:
    if event.state == State.REFUSED:
        return 400, {"error": event.error, "id": event.pk}
    status = "ok" if event.action in HANDLED else "ignored"
    answer = {"status": status, "id": event.pk}
    if event.note:
        answer["note"] = event.note
    return 200, answer


def _answer_seen(pk: int, state: str, error: str, retried: bool) -> tuple[int, dict]:
    if state == State.REFUSED:
        return 400, {"error": error, "id": pk}
    return 200, {"status": "retrying" if retried else "duplicate", "id": pk}


def _answered(status: int, answer: dict, began: float, event=None) -> dict:
    """Count and log one delivery's answer (crm_bridge/metrics.py, config/logs.py)."""
    metrics.webhook_answered(status, answer)
    if not delivery_log.isEnabledFor(logging.INFO):
        return answer  # the hot path: nothing built for a line nobody writes
    took = round((time.perf_counter() - began) * 1000, 1)
    outcome = answer.get("status") or metrics.REFUSALS.get(status, "unavailable")
    action = event.action if event is not None else ""
    delivery_log.info(
        "Webhook %s: %s %s (%.1f ms)",
        action or "-",
        status,
        outcome,
        took,
        extra={
            "status": status,
            "outcome": outcome,
            "action": action,
            "event_id": answer.get("id"),
            "error": answer.get("error", ""),
            "duration_ms": took,
        },
    )
    return answer


# --- The ASGI door ----------------------------------------------------------------------------


class Writer:
    """One thread that writes what the event loop hands it: every delivery waiting when a
    transaction starts goes into it (group commit), so many senders cost few commits."""

    MAX_BATCH = 500

    def __init__(self):
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.started = False
        self.lock = threading.Lock()

    def submit(self, event: WebhookEvent) -> Future:
        future: Future = Future()
        self.inbox.put((event, future))
        if not self.started:
            with self.lock:
                if not self.started:
                    threading.Thread(target=self._run, name="webhook-writer", daemon=True).start()
                    self.started = True
        return future

    def _run(self) -> None:
        while True:
            batch = [self.inbox.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                answers = store([event for event, _ in batch])
            except Exception:  # never ends the thread: every later delivery would wait forever
                log.exception("Could not store %d webhook events", len(batch))
                answers = [UNAVAILABLE] * len(batch)
                close_old_connections()
            for (_, future), answer in zip(batch, answers, strict=True):
                future.set_result(answer)


writer = Writer()


def asgi_door(django_app):
    """The ASGI application: webhooks (and /healthz, liveness) here, the rest to Django."""

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"] in PATHS:
            await webhook_app(scope, receive, send, django_app)
        elif scope["type"] == "http" and scope["path"] == "/healthz":
            await _respond(send, 200, {"status": "ok"})  # liveness: the process answers
        else:
            await django_app(scope, receive, send)

    return app


async def webhook_app(scope, receive, send, django_app) -> None:
    began = time.perf_counter()
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if scope["method"] != "POST":
        await _respond(send, 405, _answered(405, {"error": "Only POST is accepted"}, began),
                       [(b"allow", b"POST")])  # fmt: skip
        return
    peer = (scope.get("client") or ("",))[0]
    if refused := webhook_source_refused(peer, headers.get("x-forwarded-for", "")):
        await _respond(send, 403, _answered(403, {"error": refused}, began))
        return
    if not authorised(headers.get("authorization", "")):
        challenge = [(b"www-authenticate", b'Basic realm="thulium-webhooks"')]
        await _respond(send, 401, _answered(401, {"error": "Authentication required"}, began),
                       challenge)  # fmt: skip
        return
    body = await _read_body(receive)
    if body is None:
        return  # the sender went away
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data" and len(body) <= intake.MAX_BODY_BYTES:
        await django_app(scope, _replay(body, receive), send)  # Django parses multipart
        return
    event = to_event(body, content_type)
    status, answer = await asyncio.wrap_future(writer.submit(event))
    if len(body) > intake.MAX_BODY_BYTES:
        status = 413
    await _respond(send, status, _answered(status, answer, began, event))


async def _read_body(receive) -> bytes | None:
    """The body, or its first MAX_BODY_BYTES + 1 bytes when it is larger (read no further)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > intake.MAX_BODY_BYTES or not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive):
    """The body once more for Django, then what the client sends (its disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _respond(send, status: int, answer: dict, headers=()) -> None:
    payload = json.dumps(answer).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# --- The Django door --------------------------------------------------------------------------


def _multipart_fields(request: HttpRequest, body: bytes) -> dict:
    try:
        fields = {key: request.POST[key] for key in request.POST}
    except MultiPartParserError as exc:
        raise intake.Refused(f"The multipart body could not be read: {exc}") from exc
    if not fields and body.strip():
        raise intake.Refused("The multipart body has no named form field (is its boundary right?)")
    return fields


@csrf_exempt
@require_POST
def thulium_webhook(request: HttpRequest) -> JsonResponse:
    began = time.perf_counter()
    forwarded_for = request.headers.get("X-Forwarded-For", "")
    if refused := webhook_source_refused(request.META.get("REMOTE_ADDR", ""), forwarded_for):
        return JsonResponse(_answered(403, {"error": refused}, began), status=403)
    if not authorised(request.headers.get("Authorization", "")):
        answer = _answered(401, {"error": "Authentication required"}, began)
        response = JsonResponse(answer, status=401)
        response["WWW-Authenticate"] = 'Basic realm="thulium-webhooks"'
        return response
    too_large = int(request.META.get("CONTENT_LENGTH") or 0) > intake.MAX_BODY_BYTES
    body = request.read(intake.MAX_BODY_BYTES + 1) if too_large else request.body
    content_type = request.content_type or ""
    fields = None
    if content_type == "multipart/form-data" and len(body) <= intake.MAX_BODY_BYTES:
        fields = partial(_multipart_fields, request, body)
    event = to_event(body, content_type, fields)
    try:
        status, answer = store([event])[0]
    except DatabaseError:
        log.exception("Could not store a webhook event")
        status, answer = UNAVAILABLE
    status = 413 if len(body) > intake.MAX_BODY_BYTES else status
    return JsonResponse(_answered(status, answer, began, event), status=status)
