"""GET /readyz: is the whole product working? One JSON answer, 200 when every check passes,
503 naming those that do not. /healthz (crm_bridge/receiver.py) stays the liveness check:
it only says the web process answers.

    {"status": "ready" | "not ready",
     "failing": ["worker", ...],
     "checks": {"database": {"ok": true, "ms": 1.2},
                "redis": {"ok": true, "ms": 0.4},
                "worker": {"ok": true, "age": 2.1},      # seconds since its last heartbeat
                "beat": {"ok": true, "age": 0.8},
                "poll": {"ok": true, "age": 1.5, "failing": false},  # last good Thulium poll
                "ingest_lag": {"ok": true, "seconds": 0.0}}}         # oldest pending webhook

`?checks=database,redis` runs only those (e.g. a proxy that should keep sending traffic to
a web process while Thulium is down). A failing check carries "error".
"""

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import heartbeats
from .models import PollState, WebhookEvent
from .sync import STALE_AFTER, STATUSES

CHECKS = ("database", "redis", "worker", "beat", "poll", "ingest_lag")
POLL_MAX_AGE = STALE_AFTER.total_seconds()  # as the boards: older data is stale
LAG_MAX = 30  # seconds a webhook may wait to be applied (the boards say so after 5 s)


def run(wanted=CHECKS) -> dict[str, dict]:
    """The checks asked for, each {"ok": bool, ...}; never raises."""
    results: dict[str, dict] = {}
    needs_database = {"database", "poll", "ingest_lag"} & set(wanted)
    needs_redis = {"redis", heartbeats.WORKER, heartbeats.BEAT} & set(wanted)
    database = _timed(_ping_database) if needs_database else None
    redis = _timed(heartbeats.last_seen) if needs_redis else None
    for name in wanted:
        if name == "database":
            results[name] = database[0]
        elif name == "redis":
            results[name] = redis[0]
        elif name in (heartbeats.WORKER, heartbeats.BEAT):
            results[name] = _heartbeat(redis, name)
        elif name == "poll":
            results[name] = _needs(database, _poll)
        elif name == "ingest_lag":
            results[name] = _needs(database, _ingest_lag)
    return results


def _timed(probe) -> tuple[dict, object]:
    began = time.perf_counter()
    try:
        value = probe()
    except Exception as exc:  # whatever it is, it is not ready
        return {"ok": False, "error": _describe(exc)}, None
    return {"ok": True, "ms": round((time.perf_counter() - began) * 1000, 1)}, value


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _heartbeat(redis: tuple[dict, object], name: str) -> dict:
    if not redis[0]["ok"]:
        return {"ok": False, "age": None, "error": "Redis unreachable"}
    age = heartbeats.age(redis[1][name])
    if age is None:
        return {"ok": False, "age": None, "error": "no heartbeat ever: not started"}
    result = {"ok": age <= heartbeats.DEAD_AFTER, "age": round(age, 1)}
    if not result["ok"]:
        result["error"] = f"no heartbeat for {age:.0f} s: stopped"
    return result


def _needs(database: tuple[dict, object], check) -> dict:
    if not database[0]["ok"]:
        return {"ok": False, "error": "database unreachable"}
    try:
        return check()
    except Exception as exc:
        return {"ok": False, "error": _describe(exc)}


def _poll() -> dict:
    state = PollState.objects.filter(name=STATUSES).first()
    if state is None or state.last_ok is None:
        return {"ok": False, "age": None, "failing": True, "error": "no successful poll yet"}
    age = (timezone.now() - state.last_ok).total_seconds()
    result = {"ok": not state.failing and age <= POLL_MAX_AGE, "age": round(age, 1)}
    result["failing"] = state.failing
    if state.failing:
        result["error"] = f"Thulium polls failing (request_id {state.last_request_id or '-'})"
    elif not result["ok"]:
        result["error"] = f"last successful poll {age:.0f} s ago"
    return result


def _ingest_lag() -> dict:
    lag = WebhookEvent.ingest_lag()
    result = {"ok": lag <= LAG_MAX, "seconds": round(lag, 1)}
    if not result["ok"]:
        result["error"] = f"webhook events waiting {lag:.0f} s to be applied"
    return result


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    wanted = [c for c in request.GET.get("checks", "").split(",") if c] or list(CHECKS)
    unknown = sorted(set(wanted) - set(CHECKS))
    if unknown:
        return JsonResponse(
            {"error": f"Unknown checks {unknown}; known: {list(CHECKS)}"}, status=400
        )
    checks = run(wanted)
    failing = [name for name, result in checks.items() if not result["ok"]]
    answer = {"status": "not ready" if failing else "ready", "failing": failing, "checks": checks}
    return JsonResponse(answer, status=503 if failing else 200)
