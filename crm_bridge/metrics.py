"""Prometheus metrics, served at GET /metrics (README "Health and metrics").

daphne, the event processor and the Celery worker are separate processes: prometheus-client's
multiprocess mode sums what each wrote into PROMETHEUS_MULTIPROC_DIR (var/prometheus by
default, emptied by `make run` at start). The ages (polls, heartbeats, the oldest pending
webhook) are read from the database and Redis when scraped.

/metrics answers only a request carrying `Authorization: Bearer $METRICS_TOKEN`, or, when no
METRICS_TOKEN is set, one from this host that did not come through a proxy.
"""

import glob
import hmac
import os
import re
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from config.security import request_client_address

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

WEBHOOKS_RECEIVED = Counter(
    "thulium_live_webhooks_received_total",
    "Webhook deliveries accepted, by answer (ok, ignored, duplicate, retrying)",
    ["status"],
)
WEBHOOKS_REFUSED = Counter(
    "thulium_live_webhooks_refused_total",
    "Webhook deliveries refused, by reason (invalid, unauthorised, source_not_allowed, "
    "method, too_large, unavailable)",
    ["reason"],
)
INGEST_LAG = Histogram(
    "thulium_live_ingest_lag_seconds", "From a webhook's receipt to its apply", buckets=SECONDS
)
EVENTS_APPLIED = Counter(
    "thulium_live_events_applied_total", "Webhook events applied, by outcome", ["outcome"]
)
FOLD = Histogram(
    "thulium_live_fold_seconds", "Folding one batch of events (one transaction)", buckets=SECONDS
)
PUSH = Histogram(
    "thulium_live_push_seconds", "Rendering and publishing one push to the screens", buckets=SECONDS
)
WEBSOCKETS = Gauge(
    "thulium_live_websocket_clients",
    "Open websockets, by screen (board, campaigns, wallboard)",
    ["screen"],
    multiprocess_mode="livesum",
)
THULIUM_REQUESTS = Counter(
    "thulium_live_thulium_requests_total",
    "Calls to Thulium's API by endpoint and status (HTTP status, timeout, unavailable)",
    ["method", "endpoint", "status"],
)
THULIUM_SECONDS = Histogram(
    "thulium_live_thulium_request_seconds",
    "Calls to Thulium's API: time to answer",
    ["method", "endpoint"],
    buckets=SECONDS,
)

REFUSALS = {
    400: "invalid",
    401: "unauthorised",
    403: "source_not_allowed",
    405: "method",
    413: "too_large",
}


def webhook_answered(status: int, answer: dict) -> None:
    if status == 200:
        WEBHOOKS_RECEIVED.labels(answer.get("status", "ok")).inc()
    else:
        WEBHOOKS_REFUSED.labels(REFUSALS.get(status, "unavailable")).inc()


def applied(events, failed, took: float) -> None:
    """A batch the processor applied (pipeline._process): how long the fold took, and how
    long each applied event had waited since it was received."""
    if not events:
        return  # an idle look for work
    FOLD.observe(took)
    now = timezone.now()
    done = [event for event in events if event not in failed]
    for event in done:
        INGEST_LAG.observe(max(0.0, (now - event.received_at).total_seconds()))
    if done:
        EVENTS_APPLIED.labels("applied").inc(len(done))
    if failed:
        EVENTS_APPLIED.labels("failed").inc(len(failed))


def endpoint(path: str) -> str:
    """A path without its ids: "agents/jkowalski/pause" -> "agents/:id/pause"."""
    parts = path.strip("/").split("/")
    if len(parts) > 1 and parts[0] != "batch" and parts[1] != "stats":
        parts[1] = ":id"
    return "/".join(parts)


def thulium_call(method: str, path: str, status: str, took: float) -> None:
    name = endpoint(path)
    THULIUM_REQUESTS.labels(method, name, status).inc()
    THULIUM_SECONDS.labels(method, name).observe(took)


# --- Read when scraped ---------------------------------------------------------------------


class StateCollector:
    """Ages that are facts of the database and Redis, not of one process."""

    def collect(self):
        from . import heartbeats
        from .models import PollState, WebhookEvent

        polls = GaugeMetricFamily(
            "thulium_live_poll_age_seconds", "Seconds since a poll last succeeded", labels=["poll"]
        )
        now = timezone.now()
        for state in PollState.objects.exclude(last_ok=None):
            polls.add_metric([state.name], (now - state.last_ok).total_seconds())
        yield polls
        yield GaugeMetricFamily(
            "thulium_live_ingest_lag_now_seconds",
            "How long the oldest webhook event waiting to be applied has waited",
            value=WebhookEvent.ingest_lag(),
        )
        beats = GaugeMetricFamily(
            "thulium_live_heartbeat_age_seconds",
            "Seconds since the Celery worker / beat last said it is alive",
            labels=["process"],
        )
        try:
            seen = heartbeats.last_seen()
        except Exception:  # Redis down: no ages to give
            seen = {}
        for name, at in seen.items():
            if at is not None:
                beats.add_metric([name], heartbeats.age(at))
        yield beats


def _registry() -> CollectorRegistry:
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]  # config/settings.py sets a default
    _forget_dead_processes(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    registry.register(StateCollector())
    return registry


def _forget_dead_processes(folder: str) -> None:
    """A process that died (a killed daphne) no longer counts its open websockets."""
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        match = re.search(r"_(\d+)\.db$", path)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    proxied = any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-Ip"))
    try:
        local = ip_address(request_client_address(request)).is_loopback
    except ValueError:
        local = False
    return local and not proxied


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(
            "Metrics are served to a bearer of METRICS_TOKEN, or, without one, to this host.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
