"""Logs: one line per request, per webhook delivery and per Thulium call, human-readable by
default (`make run`), one JSON object per line with LOG_FORMAT=json (for a log shipper).

The fields a line carries beside its message (method, path, status, duration_ms, user;
endpoint, request_id …) are given as `extra=` where it is logged, and the JSON formatter
writes every one of them.
"""

import json
import logging
import time
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied

log = logging.getLogger("thulium_live.request")

# A LogRecord's own attributes: everything else on a record came as `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_DROPPED = {"request", "server_time"}  # Django's: an HttpRequest object, a duplicate time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _DROPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ExpectedAnswers(logging.Filter):
    """For Django's "django.request" lines. A PermissionDenied is an expected answer (403), not
    a crash: its line stays, its traceback goes. /readyz's 503 is its answer, not an error:
    no line (the request line says it, and a monitor asks every few seconds)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if getattr(request, "path", "") == "/readyz":
            return False
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info, record.exc_text = None, None
        return True


def request_log(get_response):
    """Middleware (first in MIDDLEWARE): one line per request Django answers."""

    def middleware(request):
        began = time.perf_counter()
        response = get_response(request)
        took = round((time.perf_counter() - began) * 1000, 1)
        user = getattr(request, "user", None)
        name = user.get_username() if user is not None and user.is_authenticated else ""
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": took,
            "user": name,
        }
        log.info(
            "%s %s %s %.1f ms%s",
            request.method,
            request.path,
            response.status_code,
            took,
            f" user={name}" if name else "",
            extra=fields,
        )
        return response

    return middleware
