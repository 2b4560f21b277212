"""Campaign endpoints: the document's sections "Kampanie", "Kampanie (seria)", "Kampanie CRM"
and "Kampanie zwykłe". Field rules: outbound_rules.py."""

import re

from .campaigns import Campaign, next_campaign_id
from .outbound_rules import get_campaign, validate
from .server import ApiError, route


@route("GET", r"outbounds")
def list_outbounds(c, req):
    return 200, [camp.listing() for camp in c.campaigns.values() if not camp.removed]


@route("GET", r"outbounds/stats")
def all_stats(c, req):
    return 200, [camp.stats() for camp in c.campaigns.values() if camp.active and not camp.removed]


@route("GET", r"outbounds/(?P<id>[^/]+)/stats")
def stats(c, req):
    return 200, get_campaign(c, req).stats()


@route("GET", r"outbounds/(?P<id>[^/]+)/agents")
def campaign_agents(c, req):
    camp = get_campaign(c, req)
    out = []
    for login, active_in in camp.agents.items():
        a = c.by_login.get(login)
        if a is not None:
            out.append(
                {
                    "login": login,
                    "number": str(a.number),
                    "active": bool(a.active),
                    "active_in_outbound": bool(active_in),
                    "agent_id": a.agent_id,
                }
            )
    return 200, out


@route("GET", r"outbounds/(?P<id>[^/]+)/statuses")
def statuses(c, req):
    return 200, [dict(s) for s in get_campaign(c, req).statuses]


@route("POST", r"outbounds")
def create(c, req):
    errors = []
    v = validate(c, req, True, errors, {})
    if errors:
        raise ApiError(400, "", errors=errors)
    cid = v.get("id") or next_campaign_id(c)
    camp = Campaign(
        cid,
        v["name"],
        v["dialer"],
        v["crm"],
        active=v.get("active", True),
        start_date=v.get("start_date", c.clock.day(c.t)),
        end_date=v.get("end_date"),
        order=v.get("order", 50),
        parity=v.get("parity", 50),
        parameters=v.get("parameters"),
        group_id=v.get("group_id"),
    )
    camp.make_statuses(10 * (len(c.campaigns) + 1) + 1000)
    c.campaigns[cid] = camp
    return 201, {"id": cid, "outbound_id": str(camp.outbound_id)}


@route("PUT", r"outbounds/(?P<id>[^/]+)")
def update(c, req):
    camp = get_campaign(c, req)
    errors = []
    v = validate(c, req, False, errors, {})
    if errors:
        raise ApiError(400, "", errors=errors)
    params = v.pop("parameters", None)
    for k, val in v.items():
        setattr(camp, k, val)
    if params:
        camp.parameters.update(params)
    return 204, None


@route("DELETE", r"outbounds/(?P<id>[^/]+)")
def delete(c, req):
    camp = get_campaign(c, req)
    camp.removed, camp.active = True, False
    return 204, None


@route("DELETE", r"batch/outbounds")
def batch_delete(c, req):
    ids = req.get_list("id")
    if not ids:
        raise ApiError(400, "Parameter id[] is required.", "Parametr id[] jest wymagany.", 30120)
    out = []
    for i in ids:
        i = str(i)
        camp = c.campaigns.get(i)
        if camp is None:
            out.append({"http_status": 404, "id": i, "status": "NOT_EXIST"})
        elif camp.removed:
            out.append({"http_status": 400, "id": i, "status": "ALREADY_QUEUED"})
        else:
            camp.removed, camp.active = True, False
            out.append({"http_status": 200, "id": i, "status": "REMOVAL_QUEUED"})
    return 207, out


@route("POST", r"outbounds/(?P<id>[^/]+)/clone")
def clone(c, req):
    src = get_campaign(c, req)
    errors, v = [], {}
    if req.get("new_id") not in (None, ""):
        nid = str(req.get("new_id")).strip()
        if not re.match(r"^[0-9A-Za-z]{5}$", nid):
            errors.append(
                (
                    "Field new_id must be a five-character identifier.",
                    "Pole new_id musi być pięcioznakowym identyfikatorem.",
                    30101,
                )
            )
        elif nid in c.campaigns:
            errors.append(
                (
                    f"Outbound with id {nid} already exists.",
                    f"Kampania o id {nid} już istnieje.",
                    30102,
                )
            )
        v["id"] = nid
    sub = {
        k: req.params[k]
        for k in ("name", "start_date", "end_date", "parameters")
        if k in req.params
    }
    sub.update({k: val for k, val in req.params.items() if k.startswith("parameters[")})
    req.params = sub
    validate(c, req, False, errors, v)
    if not str(sub.get("name") or "").strip() and not any("name" in e[0] for e in errors):
        errors.append(("Field name is required.", "Pole name jest wymagane.", 30103))
    if errors:
        raise ApiError(400, "", errors=errors)
    cid = v.get("id") or next_campaign_id(c)
    camp = Campaign(
        cid,
        v["name"],
        src.dialer,
        src.crm,
        active=src.active,
        start_date=v.get("start_date", c.clock.day(c.t)),
        end_date=v.get("end_date", src.end_date),
        order=src.order,
        parity=src.parity,
        parameters=dict(src.parameters, **v.get("parameters", {})),
        group_id=src.group_id,
    )
    camp.make_statuses(10 * (len(c.campaigns) + 1) + 1000)
    camp.agents = dict(src.agents)
    c.campaigns[cid] = camp
    return 201, {"id": cid}


def logins_param(c, req):
    logins = req.get_list("logins")
    if logins is None and isinstance(req.body, dict) and "_list" in req.body:
        logins = req.body["_list"]
    if not logins:
        raise ApiError(
            400, "Parameter logins is required.", "Parametr logins jest wymagany.", 30130
        )
    errors = [
        (f"Agent {x} not found.", f"Nie znaleziono agenta {x}.", 30131)
        for x in logins
        if c.agent(str(x)) is None
    ]
    if errors:
        raise ApiError(400, "", errors=errors)
    return [str(x) for x in logins]


@route("POST", r"outbounds/(?P<id>[^/]+)/add_agents")
def add_agents(c, req):
    camp = get_campaign(c, req)
    for login in logins_param(c, req):
        camp.agents.setdefault(login, True)
    return 201, None


@route("POST", r"outbounds/(?P<id>[^/]+)/remove_agents")
def remove_agents(c, req):
    camp = get_campaign(c, req)
    for login in logins_param(c, req):
        camp.agents.pop(login, None)
    return 201, None


@route("POST", r"outbounds/(?P<id>[^/]+)/set_agents")
def set_agents(c, req):
    camp = get_campaign(c, req)
    logins = logins_param(c, req)
    camp.agents = {login: camp.agents.get(login, True) for login in logins}
    return 201, None


from . import records_api  # noqa: E402,F401  (record listing endpoints)
