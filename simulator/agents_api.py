"""Agent endpoints (document section "Agenci")."""

from . import calls
from .centre import PAUSES
from .customers_api import directory
from .server import ApiError, route

TRUE = ("1", "true", "yes", "on")


def truthy(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return str(v).strip().lower() in TRUE


def get_agent(c, req):
    a = c.agent(req.args["login"])
    if a is None:
        raise ApiError(404, "Agent not found.", "Nie znaleziono agenta.", 20404)
    return a


def require_logged_in(a):
    if not a.logged_in:
        raise ApiError(400, "Agent is not logged in.", "Agent nie jest zalogowany.", 20001)


def require_call(a):
    if a.call is None or a.activity not in ("RINGING", "INBOUND_CALL", "CALL", "OUTBOUND_CALL"):
        raise ApiError(400, "Agent has no active call.", "Agent nie prowadzi rozmowy.", 20003)


@route("GET", r"agents")
def list_agents(c, req):
    return 200, [a.record() for a in c.agents]


@route("GET", r"agents/(?P<login>[^/]+)")
def agent_detail(c, req):
    return 200, get_agent(c, req).record()


@route("GET", r"agents/(?P<login>[^/]+)/status")
def agent_status(c, req):
    return 200, c.status_of(get_agent(c, req))


@route("GET", r"agents/(?P<login>[^/]+)/last_queue_call")
def last_queue_call(c, req):
    a = get_agent(c, req)
    if not a.last_queue_call:
        raise ApiError(
            404,
            "No queue call in the last 24 hours.",
            "Brak rozmowy z kolejki w ciągu ostatnich 24 godzin.",
            20405,
        )
    return 200, a.last_queue_call


@route("GET", r"agents_statuses")
def agents_statuses(c, req):
    inc = truthy(req.get("include_logged_off", ""))
    return 200, [c.status_of(a) for a in c.real_agents() if inc or a.logged_in]


@route("GET", r"agents_groups")
def agents_groups(c, req):
    return 200, [dict(g) for g in c.groups]


@route("POST", r"agents/(?P<login>[^/]+)/pause")
def pause(c, req):
    a = get_agent(c, req)
    raw = req.get("pause_id")
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        raise ApiError(
            400, "Parameter pause_id is required.", "Parametr pause_id jest wymagany.", 20010
        )
    try:
        pid = int(str(raw).strip())
    except ValueError:
        pid = None
    if pid not in PAUSES:
        raise ApiError(
            400,
            "Invalid pause_id: pause not found.",
            "Niepoprawny pause_id: nie znaleziono pauzy.",
            20011,
        )
    require_logged_in(a)
    c.set_pause(a, pid)
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/free")
def free(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    c.set_pause(a, None)
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/login")
def login(c, req):
    a = get_agent(c, req)
    if not a.active:
        raise ApiError(400, "Agent account is not active.", "Konto agenta jest nieaktywne.", 20002)
    c.log_in(a)
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/logout")
def logout(c, req):
    a = get_agent(c, req)
    if a.call is not None:
        raise ApiError(
            400,
            "Agent has an active call; hang up first.",
            "Agent prowadzi rozmowę; najpierw ją rozłącz.",
            20004,
        )
    c.log_out(a)
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/call")
def call(c, req):
    a = get_agent(c, req)
    number = str(req.get("phone_number") or "").strip()
    customer_id = req.get("customer_id")
    customer_id = None if customer_id in (None, "") else customer_id
    if not number and customer_id is None:
        raise ApiError(
            400,
            "Parameter phone_number is required.",
            "Parametr phone_number jest wymagany.",
            20020,
        )
    if number and not number.lstrip("+").isdigit():
        raise ApiError(
            400, "Wrong format of phone number.", "Niepoprawny format numeru telefonu.", 20021
        )
    if customer_id is not None:
        try:
            customer_id = int(customer_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid customer_id.", "Niepoprawny customer_id.", 20022) from None
        known = directory(c).customers.get(customer_id)
        if known is not None and number and number not in known["phone_numbers"]:
            raise ApiError(
                400,
                "The phone number does not belong to the customer.",
                "Numer telefonu nie należy do klienta.",
                20023,
            )
        if not number:  # the customer's main number (a stranger's id: a number made from it)
            number = known["phone_number"] if known else "5%08d" % (customer_id * 7919 % 10**8)
    campaign = None
    oid = req.get("outbound_id")
    if oid not in (None, ""):
        campaign = c.campaigns.get(str(oid))
        if campaign is None or campaign.removed:
            raise ApiError(404, "Outbound not found.", "Nie znaleziono kampanii.", 30404)
    require_logged_in(a)
    if a.call is not None or a.activity:
        raise ApiError(400, "Agent is already on a call.", "Agent prowadzi już rozmowę.", 20005)
    calls.agent_call(
        c, a, c.api_rng, number, campaign, customer_id, req.get("caller_id"), req.get("custom_data")
    )
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/hangup")
def hangup(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    require_call(a)
    calls.hangup(c, a, c.api_rng)
    return 201, None


def require_softphone(a):
    """The document: "Funkcja działa tylko gdy agent korzysta z Thulium Softphone"."""
    if not a.softphone:
        raise ApiError(
            400,
            "Agent does not use Thulium Softphone.",
            "Agent nie korzysta z Thulium Softphone.",
            20008,
        )


def require_connected(a):
    require_call(a)
    if a.activity == "RINGING":
        raise ApiError(
            400, "Agent's call is not connected.", "Rozmowa agenta nie jest zestawiona.", 20009
        )


@route("POST", r"agents/(?P<login>[^/]+)/answer")
def answer(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    call_ = a.call
    if a.activity != "RINGING" or call_ is None:
        raise ApiError(400, "Agent's phone is not ringing.", "Telefon agenta nie dzwoni.", 20006)
    require_softphone(a)
    if call_.kind == "inbound":
        calls.connect(c, call_, c.api_rng)
    else:
        calls.agent_call_answer(c, call_, c.api_rng, answered=True)
    return 201, None


# hold/mute change nothing Thulium reports: a held or muted call is still the agent's call
SOFTPHONE_FLAGS = {
    "hold": ("held", True),
    "unhold": ("held", False),
    "mute": ("muted", True),
    "unmute": ("muted", False),
}


def _softphone(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    require_connected(a)
    require_softphone(a)
    flag, value = SOFTPHONE_FLAGS[req.path.rstrip("/").rsplit("/", 1)[-1]]
    setattr(a.call, flag, value)
    return 201, None


for _name in SOFTPHONE_FLAGS:
    route("POST", r"agents/(?P<login>[^/]+)/" + _name)(_softphone)


@route("POST", r"agents/(?P<login>[^/]+)/stop_recording")
def stop_recording(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    require_connected(a)
    a.call.recording = False
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/transfer")
def transfer(c, req):
    """To another agent's number: the call moves to that agent (who must be free); to any other
    number: the call leaves the agent."""
    a = get_agent(c, req)
    destination = str(req.get("destination") or "").strip()
    if not destination:
        raise ApiError(
            400, "Parameter destination is required.", "Parametr destination jest wymagany.", 20030
        )
    if not destination.lstrip("+").isdigit():
        raise ApiError(
            400, "Wrong format of phone number.", "Niepoprawny format numeru telefonu.", 20021
        )
    require_logged_in(a)
    require_connected(a)
    require_softphone(a)
    target = next((b for b in c.real_agents() if str(b.number) == destination), None)
    if target is None:
        calls.hangup(c, a, c.api_rng)
        return 201, None
    if target is a or not target.is_free():
        raise ApiError(
            400,
            "Destination agent is not available.",
            "Agent docelowy nie jest dostępny.",
            20031,
        )
    calls.transfer_to(c, a.call, target, "blind", c.api_rng)
    return 201, None


@route("POST", r"agents/(?P<login>[^/]+)/call_preview")
def call_preview(c, req):
    a = get_agent(c, req)
    require_logged_in(a)
    call_ = a.call
    if a.activity != "OUTBOUND_PREVIEW" or call_ is None or not hasattr(call_, "preview_dial"):
        raise ApiError(400, "Agent has no preview record.", "Agent nie ma rekordu preview.", 20007)
    call_.preview_dial(c, call_)
    return 201, None
