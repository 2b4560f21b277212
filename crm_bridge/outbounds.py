"""Thulium's outbound campaign endpoints ("Kampanie", "Kampanie (seria)", "Kampanie CRM",
"Kampanie zwykłe" in ../shared/thulium-api/), one function per endpoint.

Same rules as crm_bridge.client: every non-2xx answer is ThuliumAPIError (status, request_id,
errors), timeouts ThuliumTimeout, broken connections ThuliumUnavailable. Campaign ids are
five-character strings ("00001").
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from .client import _rows, request
from .parse import to_bool, to_datetime, to_int, to_str

SYSTEM_STATUSES = [
    ("TO_CALL", "To call (new)"),
    ("IN_PROGRESS", "In progress"),
    ("CALL", "Call"),
    ("MY_RECORD", "My record"),
    ("NO_CALL", "Do not call"),
    ("ABANDONED_AFTER_N_TRIES", "Abandoned after n tries"),
    ("CALL_NO_SOONER_THAN", "Call no sooner than"),
    ("CALL_PROGRESSIVE", "Call in progressive mode"),
]
PARAMETERS = ("caller_id", "preview_timeout", "predictive_min_calls", "predictive_max_calls")
RECORDS_PAGE_MAX = 100


def _to_float(value) -> float | None:
    text = to_str(value).replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _to_date(value) -> date | None:
    text = to_str(value)[:10]
    try:
        return date.fromisoformat(text) if text and not text.startswith("0000") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class CampaignInfo:
    """A GET outbounds row: the document shows id, name, crm, order, parity; the rest is read
    when present (None when Thulium does not say)."""

    campaign_id: str
    name: str
    crm: bool
    order: int | None
    parity: int | None
    dialer: str = ""
    active: bool | None = None
    start_date: date | None = None
    end_date: date | None = None
    group_id: int | None = None
    parameters: dict | None = None

    @classmethod
    def from_api(cls, row: dict) -> "CampaignInfo":
        parameters = row.get("parameters")
        return cls(
            campaign_id=to_str(row.get("id")),
            name=to_str(row.get("name")),
            crm=bool(to_bool(row.get("crm"))),
            order=to_int(row.get("order")),
            parity=to_int(row.get("parity")),
            dialer=to_str(row.get("dialer")).lower(),
            active=to_bool(row.get("active")),
            start_date=_to_date(row.get("start_date")),
            end_date=_to_date(row.get("end_date")),
            group_id=to_int(row.get("group_id")),
            parameters=parameters if isinstance(parameters, dict) else None,
        )


@dataclass(frozen=True)
class CampaignStats:
    campaign_id: str
    records_count: int | None
    completion_percent: float | None

    @classmethod
    def from_api(cls, row: dict) -> "CampaignStats":
        return cls(
            campaign_id=to_str(row.get("id")),
            records_count=to_int(row.get("records_count")),
            completion_percent=_to_float(row.get("completion_percent")),
        )


@dataclass(frozen=True)
class CampaignAgentInfo:
    login: str
    number: str
    active: bool
    active_in_outbound: bool
    agent_id: int | None

    @classmethod
    def from_api(cls, row: dict) -> "CampaignAgentInfo":
        return cls(
            login=to_str(row.get("login")),
            number=to_str(row.get("number")),
            active=bool(to_bool(row.get("active"))),
            active_in_outbound=bool(to_bool(row.get("active_in_outbound"))),
            agent_id=to_int(row.get("agent_id")),
        )


@dataclass(frozen=True)
class CampaignStatusInfo:
    system_status: str
    status_id: int | None
    dictionary_status_id: int | None
    name: str

    @classmethod
    def from_api(cls, row: dict) -> "CampaignStatusInfo":
        return cls(
            system_status=to_str(row.get("system_status")).upper(),
            status_id=to_int(row.get("status_id")),
            dictionary_status_id=to_int(row.get("dictionary_status_id")),
            name=to_str(row.get("name")),
        )


@dataclass(frozen=True)
class RecordInfo:
    record_id: int | None
    phone_number: str
    system_status: str
    status: str
    status_id: int | None
    call_date: datetime | None
    create_date: datetime | None
    next_call_date: datetime | None
    agent_name: str
    agent_login: str
    customer_id: int | None
    last_note: str

    @classmethod
    def from_api(cls, row: dict) -> "RecordInfo":
        return cls(
            record_id=to_int(row.get("record_id")),
            phone_number=to_str(row.get("phone_number")),
            system_status=to_str(row.get("system_status")).upper(),
            status=to_str(row.get("status")),
            status_id=to_int(row.get("status_id")),
            call_date=to_datetime(row.get("call_date")),
            create_date=to_datetime(row.get("create_date")),
            next_call_date=to_datetime(row.get("next_call_date")),
            agent_name=to_str(row.get("agent_name")),
            agent_login=to_str(row.get("agent_login")),
            customer_id=to_int(row.get("customer_id")),
            last_note=to_str(row.get("last_note")),
        )


@dataclass(frozen=True)
class RecordPage:
    count: int
    records: list[RecordInfo] = field(default_factory=list)


@dataclass(frozen=True)
class BatchResult:
    """One id's answer in DELETE batch/outbounds: REMOVAL_QUEUED, NOT_EXIST or ALREADY_QUEUED."""

    campaign_id: str
    http_status: int | None
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "REMOVAL_QUEUED"

    @classmethod
    def from_api(cls, row: dict) -> "BatchResult":
        return cls(
            campaign_id=to_str(row.get("id")),
            http_status=to_int(row.get("http_status")),
            status=to_str(row.get("status")).upper(),
        )


# --- Reading -------------------------------------------------------------------------------


def get_campaigns() -> list[CampaignInfo]:
    """GET outbounds: every campaign."""
    campaigns = (CampaignInfo.from_api(row) for row in _rows(request("GET", "outbounds")))
    return [c for c in campaigns if c.campaign_id]


def get_all_stats() -> list[CampaignStats]:
    """GET outbounds/stats: records and completion of every *active* campaign."""
    stats = (CampaignStats.from_api(row) for row in _rows(request("GET", "outbounds/stats")))
    return [s for s in stats if s.campaign_id]


def get_stats(campaign_id: str) -> CampaignStats:
    """GET outbounds/:id/stats."""
    return CampaignStats.from_api(request("GET", f"outbounds/{campaign_id}/stats") or {})


def get_campaign_agents(campaign_id: str) -> list[CampaignAgentInfo]:
    """GET outbounds/:id/agents: the campaign's agents with active_in_outbound."""
    rows = _rows(request("GET", f"outbounds/{campaign_id}/agents"))
    return [a for a in (CampaignAgentInfo.from_api(r) for r in rows) if a.login]


def get_campaign_statuses(campaign_id: str) -> list[CampaignStatusInfo]:
    """GET outbounds/:id/statuses: the campaign's record statuses and their system status."""
    rows = _rows(request("GET", f"outbounds/{campaign_id}/statuses"))
    return [CampaignStatusInfo.from_api(r) for r in rows]


def get_records(
    campaign_id: str,
    *,
    crm: bool = False,
    limit: int = 50,
    offset: int = 0,
    system_statuses: list[str] | None = None,
    status_ids: list[int] | None = None,
) -> RecordPage:
    """GET outbounds/:id/records, or crm_outbounds/:id/records for a CRM-fed campaign.

    Paged (limit at most 100); `count` is the number of records matching the filters.
    """
    params: dict = {"limit": min(limit, RECORDS_PAGE_MAX), "offset": offset}
    if system_statuses:
        params["system_status[]"] = list(system_statuses)
    if status_ids:
        params["status_id[]"] = [str(s) for s in status_ids]
    prefix = "crm_outbounds" if crm else "outbounds"
    body = request("GET", f"{prefix}/{campaign_id}/records", params=params) or {}
    rows = _rows(body)
    count = to_int(body.get("count")) if isinstance(body, dict) else None
    return RecordPage(
        count=len(rows) if count is None else count,
        records=[RecordInfo.from_api(r) for r in rows],
    )


# --- Changing ------------------------------------------------------------------------------


def create_campaign(data: dict) -> str:
    """POST outbounds: name, dialer and crm required; returns the new campaign's id."""
    body = request("POST", "outbounds", json=data) or {}
    return to_str(body.get("id")) or to_str(data.get("id"))


def update_campaign(campaign_id: str, data: dict) -> None:
    """PUT outbounds/:id: only the fields sent change."""
    request("PUT", f"outbounds/{campaign_id}", json=data)


def clone_campaign(campaign_id: str, data: dict) -> str:
    """POST outbounds/:id/clone (new_id, name, start_date, end_date, parameters)."""
    body = request("POST", f"outbounds/{campaign_id}/clone", json=data) or {}
    return to_str(body.get("id")) or to_str(data.get("new_id"))


def delete_campaign(campaign_id: str, delete_recordings: bool = False) -> None:
    """DELETE outbounds/:id: queued for removal with its records (and recordings if asked)."""
    params = {"delete_recordings": "true"} if delete_recordings else None
    request("DELETE", f"outbounds/{campaign_id}", params=params)


def delete_campaigns(campaign_ids: list[str], delete_recordings: bool = False) -> list[BatchResult]:
    """DELETE batch/outbounds?id[]=...: one result per id."""
    params: dict = {"id[]": list(campaign_ids)}
    if delete_recordings:
        params["delete_recordings"] = "true"
    return [
        BatchResult.from_api(r) for r in _rows(request("DELETE", "batch/outbounds", params=params))
    ]


def add_agents(campaign_id: str, logins: list[str]) -> None:
    """POST outbounds/:id/add_agents."""
    request("POST", f"outbounds/{campaign_id}/add_agents", json={"logins": list(logins)})


def remove_agents(campaign_id: str, logins: list[str]) -> None:
    """POST outbounds/:id/remove_agents."""
    request("POST", f"outbounds/{campaign_id}/remove_agents", json={"logins": list(logins)})


def set_agents(campaign_id: str, logins: list[str]) -> None:
    """POST outbounds/:id/set_agents: these become the campaign's only agents."""
    request("POST", f"outbounds/{campaign_id}/set_agents", json={"logins": list(logins)})
