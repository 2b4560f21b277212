"""How the document says a campaign's fields are checked (POST/PUT outbounds, clone), and the
tolerant readers the campaign endpoints share."""

import datetime
import json
import re

from .server import ApiError

DIALERS = ("predictive", "progressive", "preview")
PARAMS = ("caller_id", "preview_timeout", "predictive_max_calls", "predictive_min_calls")
BOOLS = {"true": True, "1": True, "false": False, "0": False}


def get_campaign(c, req):
    camp = c.campaigns.get(req.args["id"])
    if camp is None or camp.removed:
        raise ApiError(404, "Outbound not found.", "Nie znaleziono kampanii.", 30404)
    return camp


def as_bool(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {1: True, 0: False}.get(v)
    return BOOLS.get(str(v).strip().lower())


def as_int(v):
    if isinstance(v, bool):
        return None
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def as_date(v):
    try:
        return (
            datetime.date.fromisoformat(str(v).strip()[:10])
            if re.match(r"^\d{4}-\d{2}-\d{2}", str(v).strip())
            else None
        )
    except ValueError:
        return None


def get_parameters(req):
    p = req.get("parameters")
    if isinstance(p, str):
        try:
            p = json.loads(p) if p.strip() else {}
        except ValueError:
            return "invalid"
    if p is None:
        p = {
            k[11:-1]: v
            for k, v in req.params.items()
            if k.startswith("parameters[") and k.endswith("]")
        } or None
    if p is not None and not isinstance(p, dict):
        return "invalid"
    return p


def validate(c, req, create, errors, out):
    """Collect one (en, pl, code) per invalid field; fill ``out`` with clean values."""

    def err(en, pl, code):
        errors.append((en, pl, code))

    p = req.params
    if create and p.get("id") not in (None, ""):
        cid = str(p["id"]).strip()
        if not re.match(r"^[0-9A-Za-z]{5}$", cid):
            err(
                "Field id must be a five-character identifier.",
                "Pole id musi być pięcioznakowym identyfikatorem.",
                30101,
            )
        elif cid in c.campaigns:
            err(
                f"Outbound with id {cid} already exists.",
                f"Kampania o id {cid} już istnieje.",
                30102,
            )
        else:
            out["id"] = cid
    if "name" in p or create:
        name = str(p.get("name") or "").strip()
        if not name:
            err("Field name is required.", "Pole name jest wymagane.", 30103)
        elif len(name) > 255:
            err("Field name is too long (max 255).", "Pole name jest za długie (maks. 255).", 30104)
        else:
            out["name"] = name
    if "dialer" in p or create:
        d = str(p.get("dialer") or "").strip().lower()
        if d not in DIALERS:
            err(
                "Field dialer must be one of: predictive, progressive, preview.",
                "Pole dialer musi mieć jedną z wartości: predictive, progressive, preview.",
                30105,
            )
        else:
            out["dialer"] = d
    if create:
        b = as_bool(p.get("crm")) if p.get("crm") not in (None, "") else None
        if b is None:
            err(
                "Field crm is required and must be true or false.",
                "Pole crm jest wymagane i musi mieć wartość true lub false.",
                30106,
            )
        else:
            out["crm"] = b
    if p.get("active") not in (None, ""):
        b = as_bool(p["active"])
        if b is None:
            err(
                "Field active must be true or false.",
                "Pole active musi mieć wartość true lub false.",
                30107,
            )
        else:
            out["active"] = b
    for f in ("start_date", "end_date"):
        if p.get(f) not in (None, ""):
            d = as_date(p[f])
            if d is None:
                err(
                    f"Field {f} must be a date YYYY-MM-DD.",
                    f"Pole {f} musi być datą w formacie YYYY-MM-DD.",
                    30108,
                )
            else:
                out[f] = d.isoformat()
    if "start_date" in out and "end_date" in out and out["end_date"] < out["start_date"]:
        err(
            "Field end_date must not be earlier than start_date.",
            "Pole end_date nie może być wcześniejsze niż start_date.",
            30109,
        )
    for f, hi, code in (("order", 99999, 30110), ("parity", 100, 30111)):
        if p.get(f) not in (None, ""):
            v = as_int(p[f])
            if v is None or not 1 <= v <= hi:
                err(
                    "Field %s must be an integer between 1 and %d." % (f, hi),
                    "Pole %s musi być liczbą całkowitą z zakresu 1-%d." % (f, hi),
                    code,
                )
            else:
                out[f] = v
    if p.get("group_id") not in (None, ""):
        v = as_int(p["group_id"])
        if v is None or v < 1:
            err(
                "Field group_id must be a positive integer.",
                "Pole group_id musi być dodatnią liczbą całkowitą.",
                30112,
            )
        elif v not in {g["group_id"] for g in c.campaign_groups}:
            err(
                f"Field group_id: campaign group {v} does not exist.",
                f"Pole group_id: grupa kampanii {v} nie istnieje.",
                30119,
            )
        else:
            out["group_id"] = v
    params = get_parameters(req)
    if params == "invalid":
        err("Field parameters must be an object.", "Pole parameters musi być obiektem.", 30113)
    elif params:
        clean = {}
        for k, v in params.items():
            if k not in PARAMS:
                err(f"Unknown parameter: {k}.", f"Nieznany parametr: {k}.", 30114)
            elif k == "caller_id" and not re.match(r"^\+?\d{3,15}$", str(v).strip()):
                err(
                    "Parameter caller_id must be a phone number.",
                    "Parametr caller_id musi być numerem telefonu.",
                    30115,
                )
            elif k == "preview_timeout" and (as_int(v) is None or as_int(v) < 1):
                err(
                    "Parameter preview_timeout must be a positive integer.",
                    "Parametr preview_timeout musi być dodatnią liczbą całkowitą.",
                    30116,
                )
            elif k.startswith("predictive_"):
                try:
                    fv = float(str(v).strip())
                    if fv <= 0:
                        raise ValueError
                    clean[k] = str(v).strip()
                except ValueError:
                    err(
                        f"Parameter {k} must be a positive number.",
                        f"Parametr {k} musi być liczbą dodatnią.",
                        30117,
                    )
            else:
                clean[k] = str(v).strip()
        if (
            "predictive_min_calls" in clean
            and "predictive_max_calls" in clean
            and float(clean["predictive_min_calls"]) > float(clean["predictive_max_calls"])
        ):
            err(
                "predictive_min_calls must not exceed predictive_max_calls.",
                "predictive_min_calls nie może być większe niż predictive_max_calls.",
                30118,
            )
        out["parameters"] = clean
    return out
