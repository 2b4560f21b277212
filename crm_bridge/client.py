"""Thulium REST API client: a short module of functions, one per endpoint we use.

Reference: ../shared/thulium-api/ (Thulium's own document, "Thulium REST API").
Every non-2xx answer becomes ThuliumAPIError (HTTP status, request_id, the list of errors);
a timeout is ThuliumTimeout and a refused or broken connection ThuliumUnavailable; a 2xx body
that is not JSON even read leniently (the document's examples have trailing commas and lists
closed by "}": parse.read_json repairs those) is ThuliumBadBody.
`transient` on each error says whether trying again later may help. Every call is counted
and timed (crm_bridge/metrics.py) and logged: endpoint, status, duration and request_id.
"""

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import requests
from django.conf import settings

from . import metrics
from .parse import LooseJSONError, read_json, to_bool, to_datetime, to_int, to_str

log = logging.getLogger(__name__)
call_log = logging.getLogger("thulium_live.thulium")  # one line per call
_local = threading.local()
_repairs_logged: dict[tuple[str, str], float] = {}
_user_language: ContextVar[str | None] = ContextVar("thulium_user_language", default=None)


class ThuliumError(Exception):
    transient = True
    status: int | None = None
    request_id = ""

    @property
    def message(self) -> str:
        return str(self)


class ThuliumTimeout(ThuliumError):
    """Thulium did not answer within THULIUM_TIMEOUT_SECONDS."""


class ThuliumUnavailable(ThuliumError):
    """The connection was refused or broke."""


class ThuliumBadBody(ThuliumError):
    """Thulium answered 2xx with a body that cannot be read even leniently (parse.read_json)."""


class ThuliumAPIError(ThuliumError):
    """Thulium answered with an error status and (usually) its error body."""

    def __init__(self, status: int, request_id: str, errors: list[dict]):
        self.status = status
        self.request_id = request_id
        self.errors = errors
        super().__init__(self.message)

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status >= 500 or self.status == 429

    @property
    def message(self) -> str:
        texts = [e["message"] for e in self.errors if e.get("message")]
        return "; ".join(texts) or f"HTTP {self.status}"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class AgentInfo:
    agent_id: int | None
    login: str
    name: str
    surname: str
    email: str
    active: bool
    number: str
    outbound_mode: str
    group_id: int | None

    @classmethod
    def from_api(cls, row: dict) -> "AgentInfo":
        return cls(
            agent_id=to_int(row.get("agent_id")),
            login=to_str(row.get("login")),
            name=to_str(row.get("name")),
            surname=to_str(row.get("surname")),
            email=to_str(row.get("email")),
            active=bool(to_bool(row.get("active"))),
            number=to_str(row.get("number")),
            outbound_mode=to_str(row.get("outbound_mode")),
            group_id=to_int(row.get("group_id")),
        )


@dataclass(frozen=True)
class AgentStatusInfo:
    login: str
    status: str
    pause_id: int | None
    last_change: datetime | None

    @classmethod
    def from_api(cls, row: dict) -> "AgentStatusInfo":
        return cls(
            login=to_str(row.get("login")),
            status=to_str(row.get("status")).upper() or "OFF",
            pause_id=to_int(row.get("pause_id")),
            last_change=to_datetime(row.get("last_change")),
        )


@dataclass(frozen=True)
class AgentGroupInfo:
    group_id: int
    name: str

    @classmethod
    def from_api(cls, row: dict) -> "AgentGroupInfo | None":
        group_id = to_int(row.get("group_id"))
        if group_id is None:
            return None
        return cls(group_id=group_id, name=to_str(row.get("name")) or f"Group {group_id}")


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.hooks["response"].append(_remember_status)
    return session


def _remember_status(response: requests.Response, *args, **kwargs) -> None:
    _local.status = response.status_code


def _error_from(response: requests.Response) -> ThuliumAPIError:
    request_id, errors = "", []
    try:
        body, _ = read_json(response.content.decode("utf-8-sig", errors="replace"))
    except ValueError:
        body = None
    if isinstance(body, dict):
        request_id = to_str(body.get("request_id"))
        for item in body.get("errors") or []:
            if isinstance(item, dict):
                errors.append({"message": to_str(item.get("message")), "code": item.get("code")})
            else:
                errors.append({"message": to_str(item), "code": None})
    if not errors:
        text = response.text.strip()[:300] if body is None else ""
        errors = [
            {"message": text or f"HTTP {response.status_code} {response.reason}", "code": None}
        ]
    return ThuliumAPIError(response.status_code, request_id, errors)


def request(method: str, path: str, *, params=None, json=None):
    """One call to Thulium; returns the decoded JSON body (None when empty)."""
    began, _local.status = time.perf_counter(), None
    status, request_id = "", ""
    try:
        return _request(method, path, params=params, json=json)
    except ThuliumTimeout:
        status = "timeout"
        raise
    except ThuliumUnavailable:
        status = "unavailable"
        raise
    except ThuliumError as exc:
        request_id = exc.request_id
        raise
    finally:
        took = time.perf_counter() - began
        status = status or str(_local.status or "error")
        metrics.thulium_call(method, path, status, took)
        call_log.info(
            "Thulium %s %s: %s (%.0f ms)%s",
            method,
            path,
            status,
            took * 1000,
            f" request_id={request_id}" if request_id else "",
            extra={
                "method": method,
                "endpoint": metrics.endpoint(path),
                "path": path,
                "status": status,
                "duration_ms": round(took * 1000, 1),
                "request_id": request_id,
            },
        )


@contextmanager
def speaking(language: str):
    """Ask Thulium for its messages in this language meanwhile: a user's request does
    (dashboard/language.py), so what Thulium says reaches them in their language."""
    token = _user_language.set(language)
    try:
        yield
    finally:
        _user_language.reset(token)


def _language() -> str:
    """The document's "Język" section: `Accept-Language: pl` makes Thulium's messages Polish
    (default English). The user's language in their request; THULIUM_LANGUAGE for work no
    user asked for (polls, whose messages every user sees)."""
    language = _user_language.get() or settings.THULIUM_LANGUAGE
    return "pl" if language.lower().startswith("pl") else "en"


def _request(method: str, path: str, *, params=None, json=None):
    url = urljoin(settings.THULIUM_API_URL.rstrip("/") + "/", path.lstrip("/"))
    try:
        response = _session().request(
            method,
            url,
            params=params,
            json=json,
            auth=(settings.THULIUM_API_USER, settings.THULIUM_API_PASSWORD),
            headers={"Accept": "application/json", "Accept-Language": _language()},
            timeout=settings.THULIUM_TIMEOUT_SECONDS,
        )
    except requests.Timeout as exc:
        raise ThuliumTimeout(
            f"Thulium did not answer within {settings.THULIUM_TIMEOUT_SECONDS} s ({method} {path})"
        ) from exc
    except requests.ConnectionError as exc:
        raise ThuliumUnavailable(f"Cannot connect to Thulium at {url}") from exc
    if response.status_code >= 400:
        raise _error_from(response)
    if not response.content.strip():
        return None
    try:
        # JSON is UTF-8 (RFC 8259): decoded here, not by requests' guess of the charset.
        body, repairs = read_json(response.content.decode("utf-8-sig", errors="replace"))
    except LooseJSONError as exc:
        raise ThuliumBadBody(f"Thulium's answer to {method} {path} is not readable: {exc}") from exc
    if repairs:
        _log_repairs(method, path, repairs)
    return body


def _log_repairs(method: str, path: str, repairs: list[str]) -> None:
    """A body read despite slips like the document's own examples: logged once an hour."""
    key, now = (method, path), time.monotonic()
    if now - _repairs_logged.get(key, -3600.0) >= 3600:
        _repairs_logged[key] = now
        log.warning("Thulium's answer to %s %s was not strict JSON: %s", method, path, repairs)


def _rows(body) -> list[dict]:
    """A list from a bare list or a {"count", "result"} page."""
    if isinstance(body, dict):
        body = body.get("result", [])
    return [row for row in body or [] if isinstance(row, dict)]


# --- Agents ---------------------------------------------------------------------------------


def get_agents() -> list[AgentInfo]:
    """GET agents: every agent; the nameless system "Automat" (login "") is skipped."""
    agents = [AgentInfo.from_api(row) for row in _rows(request("GET", "agents"))]
    return [a for a in agents if a.login]


def get_agent(login: str) -> AgentInfo:
    """GET agents/:login."""
    return AgentInfo.from_api(request("GET", f"agents/{login}") or {})


def get_agent_status(login: str) -> AgentStatusInfo:
    """GET agents/:login/status."""
    return AgentStatusInfo.from_api(request("GET", f"agents/{login}/status") or {})


def get_agent_statuses(include_logged_off: bool = True) -> list[AgentStatusInfo]:
    """GET agents_statuses (include_logged_off=true also lists agents who are OFF)."""
    params = {"include_logged_off": "true"} if include_logged_off else None
    rows = _rows(request("GET", "agents_statuses", params=params))
    return [s for s in (AgentStatusInfo.from_api(r) for r in rows) if s.login]


def get_agent_groups() -> list[AgentGroupInfo]:
    """GET agents_groups."""
    groups = (AgentGroupInfo.from_api(row) for row in _rows(request("GET", "agents_groups")))
    return [g for g in groups if g]


@dataclass(frozen=True)
class ChatQueueInfo:
    chat_queue_id: int
    name: str

    @classmethod
    def from_api(cls, row: dict) -> "ChatQueueInfo | None":
        queue_id = to_int(row.get("chat_queue_id"))
        if queue_id is None:
            return None
        name = to_str(row.get("display_name")) or to_str(row.get("name"))  # display_name: null
        return cls(chat_queue_id=queue_id, name=name)


def get_chat_queues() -> list[ChatQueueInfo]:
    """GET chats/queues: every chat queue with its name (display_name when it has one)."""
    queues = (ChatQueueInfo.from_api(row) for row in _rows(request("GET", "chats/queues")))
    return [q for q in queues if q]


def pause(login: str, pause_id: int) -> None:
    """POST agents/:login/pause with the pause reason's id."""
    request("POST", f"agents/{login}/pause", json={"pause_id": str(pause_id)})


def free(login: str) -> None:
    """POST agents/:login/free: end the agent's pause."""
    request("POST", f"agents/{login}/free")


def login(login: str) -> None:
    """POST agents/:login/login."""
    request("POST", f"agents/{login}/login")


def logout(login: str) -> None:
    """POST agents/:login/logout."""
    request("POST", f"agents/{login}/logout")


def call(
    login: str,
    phone_number: str = "",
    *,
    outbound_id: str = "",
    customer_id: int | None = None,
    caller_id: str = "",
    custom_data: str = "",
) -> None:
    """POST agents/:login/call: ring the agent, then dial the number (or the customer's)."""
    data = {
        "phone_number": phone_number,
        "outbound_id": outbound_id,
        "customer_id": customer_id,
        "caller_id": caller_id,
        "custom_data": custom_data,
    }
    request("POST", f"agents/{login}/call", json={k: v for k, v in data.items() if v})


def hangup(login: str) -> None:
    """POST agents/:login/hangup: end the agent's calls."""
    request("POST", f"agents/{login}/hangup")


# --- Reports --------------------------------------------------------------------------------


def get_agents_work_report(
    date_from: str,
    date_to: str,
    *,
    agent_logins=(),
    agent_group_ids=(),
    aggregate_by: str = "day",
    queue_ids=(),
    outbound_threshold: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """GET agents_work_report: one page (limit at most 100) of rows, one per agent and period
    (aggregate_by: hour_of_day, minute, hour, day, week, month, year). Dates are Thulium's
    "YYYY-MM-DD HH:MM:SS"; agent_logins or agent_group_ids is required. The rows are read by
    crm_bridge/work_report.py (WorkRow), which also walks the pages."""
    params = [("date_from", date_from), ("date_to", date_to), ("aggregate_by", aggregate_by)]
    params += [("agent_logins[]", login) for login in agent_logins]
    params += [("agent_group_ids[]", str(group_id)) for group_id in agent_group_ids]
    params += [("queues_ids[]", str(queue_id)) for queue_id in queue_ids]
    if outbound_threshold is not None:
        params.append(("outbound_threshold", str(outbound_threshold)))
    params += [("limit", str(limit)), ("offset", str(offset))]
    return _rows(request("GET", "agents_work_report", params=params))


# --- Call control (Thulium Softphone) --------------------------------------------------------
# The document: answer, hold/unhold, mute/unmute and transfer work only when the agent uses
# Thulium Softphone; Thulium refuses otherwise (ThuliumAPIError with its message).


def answer(login: str) -> None:
    """POST agents/:login/answer: pick up the agent's ringing phone."""
    request("POST", f"agents/{login}/answer")


def hold(login: str) -> None:
    """POST agents/:login/hold: put the agent's call on hold."""
    request("POST", f"agents/{login}/hold")


def unhold(login: str) -> None:
    """POST agents/:login/unhold."""
    request("POST", f"agents/{login}/unhold")


def mute(login: str) -> None:
    """POST agents/:login/mute: mute the agent's microphone."""
    request("POST", f"agents/{login}/mute")


def unmute(login: str) -> None:
    """POST agents/:login/unmute."""
    request("POST", f"agents/{login}/unmute")


def stop_recording(login: str) -> None:
    """POST agents/:login/stop_recording: stop recording the agent's current call."""
    request("POST", f"agents/{login}/stop_recording")


def transfer(login: str, destination: str) -> None:
    """POST agents/:login/transfer to a phone number (another agent: that agent's number)."""
    request("POST", f"agents/{login}/transfer", json={"destination": str(destination)})


def call_preview(login: str) -> None:
    """POST agents/:login/call_preview: dial the agent's record in a preview campaign."""
    request("POST", f"agents/{login}/call_preview")


@dataclass(frozen=True)
class LastQueueCall:
    connection_id: str
    phone_number: str
    start_date: datetime | None
    answered_date: datetime | None
    end_date: datetime | None
    customer_id: int | None
    customer_identifier: str

    @classmethod
    def from_api(cls, row: dict) -> "LastQueueCall":
        return cls(
            connection_id=to_str(row.get("connection_id")),
            phone_number=to_str(row.get("phone_number")),
            start_date=to_datetime(row.get("start_date")),
            answered_date=to_datetime(row.get("answered_date")),
            end_date=to_datetime(row.get("end_date")),
            customer_id=to_int(row.get("customer_id")),
            customer_identifier=to_str(row.get("customer_identifier")),
        )


def get_last_queue_call(login: str) -> LastQueueCall | None:
    """GET agents/:login/last_queue_call: the agent's last queue call of the last 24 hours
    (None when Thulium's answer is empty)."""
    body = request("GET", f"agents/{login}/last_queue_call")
    return LastQueueCall.from_api(body) if isinstance(body, dict) and body else None
