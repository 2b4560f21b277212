"""Campaign record listings: GET outbounds/:id/records and GET crm_outbounds/:id/records
(plus a single record)."""

from .campaigns import SYSTEM_STATUSES
from .outbound_rules import as_date, as_int, get_campaign
from .server import ApiError, route


def record_view(c, camp, r):
    a = c.by_login.get(r.agent_login or "") if r.agent_login else None
    return {
        "record_id": r.record_id,
        "phone_number": r.phone_number,
        "system_status": r.system_status,
        "status": camp.status_name(r.status_id),
        "status_id": r.status_id,
        "call_date": c.clock.fmt_minute(r.call_date),
        "create_date": c.clock.fmt_minute(r.create_date),
        "next_call_date": c.clock.fmt_minute(r.next_call_date),
        "agent_name": (f"{a.name} {a.surname}") if a else "",
        "agent_login": r.agent_login or "",
        "customer_id": r.customer_id,
        "last_note": r.last_note or "",
        "order": r.order,
    }


def listing(c, req, crm):
    camp = get_campaign(c, req)
    if crm and not camp.crm:
        raise ApiError(
            400, "Outbound is not fed from CRM.", "Kampania nie jest zasilana z CRM.", 30201
        )
    errors = []
    limit = req.get("limit")
    limit = 100 if limit in (None, "") else as_int(limit)
    if limit is None or not 1 <= limit <= 100:
        errors.append(
            (
                "Parameter limit must be an integer between 1 and 100.",
                "Parametr limit musi być liczbą całkowitą z zakresu 1-100.",
                30202,
            )
        )
    offset = req.get("offset")
    offset = 0 if offset in (None, "") else as_int(offset)
    if offset is None or offset < 0:
        errors.append(
            (
                "Parameter offset must be a non-negative integer.",
                "Parametr offset musi być nieujemną liczbą całkowitą.",
                30203,
            )
        )
    sys_f = req.get_list("system_status")
    for s in sys_f or []:
        if s not in SYSTEM_STATUSES:
            errors.append((f"Unknown system_status: {s}.", f"Nieznany system_status: {s}.", 30204))
    st_f = req.get_list("status_id")
    st_f = {str(x) for x in st_f} if st_f else None
    dates = {}
    for f in ("create_date_from", "create_date_to", "call_date_from", "call_date_to"):
        v = req.get(f)
        if v not in (None, ""):
            d = as_date(v)
            if d is None:
                errors.append(
                    (
                        f"Parameter {f} must be a date YYYY-MM-DD.",
                        f"Parametr {f} musi być datą w formacie YYYY-MM-DD.",
                        30205,
                    )
                )
            else:
                dates[f] = d.isoformat()
    order = str(req.get("order") or "")
    if order and order.lstrip("-") != "next_call_date":
        errors.append(
            (
                "Results can be ordered by next_call_date only.",
                "Sortowanie możliwe jest tylko po polu next_call_date.",
                30206,
            )
        )
    if errors:
        raise ApiError(400, "", errors=errors)
    rows = []
    for r in camp.records:
        if sys_f and r.system_status not in sys_f:
            continue
        if st_f and str(r.status_id) not in st_f:
            continue
        cd = c.clock.day(r.create_date)
        if "create_date_from" in dates and cd < dates["create_date_from"]:
            continue
        if "create_date_to" in dates and cd > dates["create_date_to"]:
            continue
        if dates.get("call_date_from") or dates.get("call_date_to"):
            if r.call_date is None:
                continue
            ld = c.clock.day(r.call_date)
            if ld < dates.get("call_date_from", ld) or ld > dates.get("call_date_to", ld):
                continue
        rows.append(r)
    if order:
        rows.sort(
            key=lambda r: (r.next_call_date is None, r.next_call_date or 0),
            reverse=order.startswith("-"),
        )
    page = rows[offset : offset + limit]
    return 200, {"count": len(rows), "result": [record_view(c, camp, r) for r in page]}


@route("GET", r"outbounds/(?P<id>[^/]+)/records")
def outbound_records(c, req):
    return listing(c, req, False)


@route("GET", r"crm_outbounds/(?P<id>[^/]+)/records")
def crm_outbound_records(c, req):
    return listing(c, req, True)


@route("GET", r"outbounds/(?P<id>[^/]+)/records/(?P<phone>[^/]+)")
def outbound_record(c, req):
    camp = get_campaign(c, req)
    for r in camp.records:
        if r.phone_number == req.args["phone"]:
            return 200, record_view(c, camp, r)
    raise ApiError(404, "Record not found.", "Nie znaleziono rekordu.", 30210)


@route("GET", r"crm_outbounds/(?P<id>[^/]+)/records/(?P<customer_id>[^/]+)")
def crm_outbound_record(c, req):
    camp = get_campaign(c, req)
    for r in camp.records:
        if str(r.customer_id) == req.args["customer_id"]:
            return 200, record_view(c, camp, r)
    raise ApiError(404, "Record not found.", "Nie znaleziono rekordu.", 30210)
