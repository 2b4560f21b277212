"""Thulium's chat and e-mail (ticket) numbers for today, one function per endpoint.

- `GET chats/reports/summary` (document section "Czaty"): the chats of a period; asked for
  today, summed over users (`sum_users=true`), by day.
- `GET ticket_queues` and `GET tickets/today_stats`: the document lists them in its index
  only, with no example; the simulator's reading is in simulator/tickets_api.py.

Same rules as crm_bridge.client (errors with Thulium's request_id, bodies read leniently). The
parsers take the document's loose forms: numbers as strings, durations as "HH:MM:SS" or
seconds, missing parts as zero, a list closed by "}" (parse.read_json), a row or a list of rows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from .client import _rows, request
from .parse import format_local, to_int, to_str
from .work_report import to_seconds


def _part(row: dict, name: str) -> dict:
    part = row.get(name)
    return part if isinstance(part, dict) else {}


def _count(value) -> int:
    return max(to_int(value) or 0, 0)


def _percent(value) -> float | None:
    text = to_str(value).rstrip("%").replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ChatSummary:
    """Chats of a period: one row of chats/reports/summary, or several summed."""

    incoming: int = 0
    answered: int = 0
    abandoned: int = 0
    in_service_level: float = 0  # answered within the response threshold (from the percent)
    wait_sum: int = 0  # seconds, created to the agent's first response
    wait_max: int = 0
    chat_sum: int = 0  # seconds of chatting
    happy: int = 0
    neutral: int = 0
    sad: int = 0
    rows: int = 0  # how many rows Thulium gave

    @classmethod
    def from_api(cls, row: dict) -> "ChatSummary":
        wait, chat = _part(row, "wait_time"), _part(row, "chat_time")
        rate = _part(_part(row, "rating"), "rate")
        answered = _count(row.get("answered"))
        sl = _percent(row.get("service_level_percent"))
        return cls(
            incoming=_count(row.get("incoming")),
            answered=answered,
            abandoned=_count(row.get("abandoned")),
            in_service_level=answered * (sl or 0) / 100,
            wait_sum=to_seconds(wait.get("sum")),
            wait_max=to_seconds(wait.get("max")),
            chat_sum=to_seconds(chat.get("sum")),
            happy=_count(rate.get("happy")),
            neutral=_count(rate.get("neutral")),
            sad=_count(rate.get("sad")),
            rows=1,
        )

    def __add__(self, other: "ChatSummary") -> "ChatSummary":
        return ChatSummary(
            incoming=self.incoming + other.incoming,
            answered=self.answered + other.answered,
            abandoned=self.abandoned + other.abandoned,
            in_service_level=self.in_service_level + other.in_service_level,
            wait_sum=self.wait_sum + other.wait_sum,
            wait_max=max(self.wait_max, other.wait_max),
            chat_sum=self.chat_sum + other.chat_sum,
            happy=self.happy + other.happy,
            neutral=self.neutral + other.neutral,
            sad=self.sad + other.sad,
            rows=self.rows + other.rows,
        )

    @property
    def service_level(self) -> float | None:
        """Answered within the response threshold, of those answered (%)."""
        return 100 * self.in_service_level / self.answered if self.answered else None

    @property
    def avg_wait(self) -> int | None:
        return round(self.wait_sum / self.answered) if self.answered else None

    @property
    def avg_chat(self) -> int | None:
        return round(self.chat_sum / self.answered) if self.answered else None

    @property
    def satisfaction(self) -> float | None:
        """Happy of the rated chats (%)."""
        rated = self.happy + self.neutral + self.sad
        return 100 * self.happy / rated if rated else None


def read_chat_summary(body) -> ChatSummary:
    """Every row of a chats/reports/summary answer, summed (a bare row counts as one)."""
    rows = [body] if isinstance(body, dict) and "result" not in body else _rows(body)
    total = ChatSummary()
    for row in rows:
        total = total + ChatSummary.from_api(row)
    return total


def get_chat_summary(
    date_from: datetime, date_to: datetime, *, chat_queue_ids=(), threshold: int | None = None
) -> ChatSummary:
    """GET chats/reports/summary from date_from to date_to, every user summed, by day."""
    params = [
        ("date_from", format_local(date_from)),
        ("date_to", format_local(date_to)),
        ("sum_users", "true"),
        ("aggregate_by", "day"),
        ("limit", "100"),
    ]
    params += [("chat_queue_ids[]", str(queue_id)) for queue_id in chat_queue_ids]
    if threshold is not None:
        params.append(("response_threshold", str(threshold)))
    return read_chat_summary(request("GET", "chats/reports/summary", params=params))


@dataclass(frozen=True)
class TicketCounts:
    created: int = 0
    responded: int = 0
    closed: int = 0
    open: int = 0

    @classmethod
    def from_api(cls, row: dict) -> "TicketCounts":
        return cls(
            created=_count(row.get("created")),
            responded=_count(row.get("responded")),
            closed=_count(row.get("closed")),
            open=_count(row.get("open")),
        )


@dataclass(frozen=True)
class TicketStats:
    total: TicketCounts = TicketCounts()
    queues: dict = field(default_factory=dict)  # ticket_queue_id -> TicketCounts


def read_ticket_stats(body) -> TicketStats:
    """tickets/today_stats: the totals, and per queue when given (the totals are then the sum
    of the queues where Thulium gives none)."""
    body = body if isinstance(body, dict) else {"queues": body if isinstance(body, list) else []}
    queues = {}
    for row in _rows(body.get("queues")):
        queue_id = to_int(row.get("ticket_queue_id", row.get("id")))
        if queue_id is not None:
            queues[queue_id] = TicketCounts.from_api(row)
    total = TicketCounts.from_api(body)
    if total == TicketCounts() and queues:
        total = TicketCounts(
            *(sum(getattr(q, f) for q in queues.values()) for f in TicketCounts.__annotations__)
        )
    return TicketStats(total=total, queues=queues)


def get_ticket_stats() -> TicketStats:
    """GET tickets/today_stats: today's ticket numbers."""
    return read_ticket_stats(request("GET", "tickets/today_stats"))


def read_ticket_queues(body) -> dict[int, str]:
    """ticket_queues: {ticket_queue_id: name} ("#N" when it has no name)."""
    names = {}
    for row in _rows(body):
        queue_id = to_int(row.get("ticket_queue_id", row.get("id")))
        if queue_id is not None:
            names[queue_id] = to_str(row.get("name")) or f"#{queue_id}"
    return names


def get_ticket_queues() -> dict[int, str]:
    """GET ticket_queues."""
    return read_ticket_queues(request("GET", "ticket_queues"))
