"""Who is calling, from Thulium's CRM: `GET customers` (by phone number), `GET customers/:id`
(when a webhook carries the customer_id) and `GET companies/:id` (the customer's company).

Looked up once per number and kept in the cache: a name for CUSTOMER_CACHE_SECONDS, "Thulium
does not know this number" for CUSTOMER_MISS_SECONDS. Never on the broadcast path: the event
processor hands the numbers of new calls to `identify_soon` after its push (a cache read, and a
Celery task for what the cache does not know); the task asks Thulium, at most
CUSTOMER_LOOKUPS_PER_SECOND requests a second across every process (the rest waits a second;
0 turns lookups off),
and then pushes the names to the screens that show those numbers. Rendering reads the cache
only (`names`), so however many boards are open Thulium hears one request per number.

Also the call dialog's customer search (`search`) and the campaigns that already call a
number (`campaigns_calling`)."""

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .client import ThuliumAPIError, ThuliumError, _rows, request
from .parse import is_null, to_bool, to_int, to_str
from .signals import notify_caller, notify_callers_named

log = logging.getLogger(__name__)

UNKNOWN = "?"  # cached for a number Thulium's CRM does not know
# Events that start a call whose caller a screen shows: (number field, customer_id field).
CALLER_FIELDS = {
    "ENTER_QUEUE": "source_number",
    "AGENT_RINGING": "source_number",
    "AGENT_CONNECTED": "source_number",
    "OUTBOUND_CONNECTING": "phone_number",
    "OUTBOUND_CUSTOMER_CONNECTED": "phone_number",
    "PREVIEW_RECORD": "phone_number",
}


@dataclass(frozen=True)
class Customer:
    customer_id: int | None
    name: str
    company: str
    phone_number: str
    email: str
    company_id: int | None
    is_company: bool

    @classmethod
    def from_api(cls, row: dict) -> "Customer":
        is_company = bool(to_bool(row.get("company_flag")))
        name = " ".join(p for p in (to_str(row.get("name")), to_str(row.get("surname"))) if p)
        numbers = row.get("phone_numbers")
        number = to_str(row.get("phone_number")) or (
            to_str(numbers[0]) if isinstance(numbers, list) and numbers else ""
        )
        return cls(
            customer_id=to_int(row.get("customer_id")),
            name=name,
            company=name if is_company else "",
            phone_number=number,
            email=to_str(row.get("email")),
            company_id=None if is_company else to_int(row.get("company_id")),
            is_company=is_company,
        )

    def label(self, company: str = "") -> str:
        """ "Jan Kowalski · Hurtownia Kraków" (or one of them, or the first e-mail)."""
        parts = [self.name or self.email, company if company != self.name else ""]
        return " · ".join(p for p in parts if p)[:200]


def normalize(number) -> str:
    """The digits Thulium dials: "+48 523-993-855" and "523993855" are one caller."""
    digits = re.sub(r"\D", "", to_str(number))
    return digits[2:] if len(digits) == 11 and digits.startswith("48") else digits


def _key(number: str) -> str:
    return f"caller:{normalize(number)}"


def names(numbers) -> dict[str, str]:
    """What the cache knows of these numbers: {number: label or UNKNOWN}; numbers never
    looked up are absent. One cache read, for a whole page or push."""
    wanted = {n: _key(n) for n in numbers if normalize(n)}
    try:
        found = cache.get_many(set(wanted.values())) if wanted else {}
    except Exception as exc:  # Redis down: the screens show numbers without names meanwhile
        log.warning("Callers' names not read from the cache (%s)", exc)
        return {}
    return {n: found[k] for n, k in wanted.items() if k in found}


def shown(name: str) -> tuple[str, bool]:
    """A cached name as a screen shows it: (the name, or "" when unknown; unknown?)."""
    return ("", True) if name == UNKNOWN else (name, False)


def callers_of(event_action: str, data: dict) -> tuple[str, int | None] | None:
    """(number, customer_id) of a call-starting event, or None."""
    field = CALLER_FIELDS.get(event_action)
    number = normalize(data.get(field)) if field else ""
    if not number:
        return None
    return number, to_int(data.get("customer_id"))


def note_caller(event) -> None:
    """The pipeline's fold for call-starting events: their caller, for `identify_soon`."""
    caller = callers_of(event.action, event.data or {})
    if caller is not None:
        notify_caller(*caller)


def identify_soon(callers) -> None:
    """Hand the numbers the cache does not know yet to a Celery task (after the push)."""
    callers = dict(callers)  # number -> customer_id (one per number)
    if not callers or settings.CUSTOMER_LOOKUPS_PER_SECOND <= 0:  # 0: no lookups at all
        return
    from .tasks import identify_callers

    try:
        found = cache.get_many([_key(n) for n in callers])
        unknown = sorted((n, c) for n, c in callers.items() if _key(n) not in found)
        if unknown:
            identify_callers.apply_async((unknown,), retry=False)
    except Exception as exc:  # Redis down: the next call from the number tries again
        log.warning("Callers not looked up (%s)", exc)


def identify(callers: list[tuple]) -> tuple[dict[str, str], list]:
    """Ask Thulium about these callers, (number, customer_id) or (number, customer_id,
    failures): returns what was learned {number: label or UNKNOWN} (also cached) and the
    callers left for the next second (out of this second's turns, or Thulium failed: then
    asked again four times at most)."""
    learned, later, out_of_turns = {}, [], False
    for number, customer_id, *failed in callers:
        number, failures = normalize(number), failed[0] if failed else 0
        key = _key(number)
        if not number or cache.get(key) is not None:
            continue
        if out_of_turns:
            later.append((number, customer_id, failures))
            continue
        if not cache.add(f"{key}:busy", 1, timeout=30):  # another worker asks already
            continue
        try:
            try:
                label = lookup(number, customer_id)
            except Later:
                out_of_turns = True
                later.append((number, customer_id, failures))
                continue
            except ThuliumError as exc:
                if exc.transient and failures < 4:
                    later.append((number, customer_id, failures + 1))
                else:  # e.g. no CRM rights: said once in the log, asked again after a while
                    log.warning("Thulium's CRM did not say who calls from %s: %s", number, exc)
                    cache.set(key, UNKNOWN, timeout=settings.CUSTOMER_MISS_SECONDS)
                continue
            seconds = settings.CUSTOMER_MISS_SECONDS if label == UNKNOWN else None
            cache.set(key, label, timeout=seconds or settings.CUSTOMER_CACHE_SECONDS)
            learned[number] = label
        finally:
            cache.delete(f"{key}:busy")
    return learned, later


def show(learned: dict[str, str]) -> None:
    """Show these names where their numbers are: the agents' current calls and the queues'
    waiting calls (just those elements: no row, tile or wallboard is rendered again)."""
    if not learned:
        return
    from dashboard.models import QueueCall
    from dashboard.models.queues import Outcome

    from .models import Agent

    written = {v for n in learned for v in (n, f"+48{n}", f"48{n}", f"0{n}")}
    logins = Agent.objects.filter(call_number__in=written).values_list("login", flat=True)
    waiting = QueueCall.objects.filter(caller_number__in=written, outcome=Outcome.WAITING)
    pks = waiting.exclude(queue=None).values_list("queue_id", flat=True)
    notify_callers_named(list(logins), list(pks))


class Later(Exception):
    """This second's CUSTOMER_LOOKUPS_PER_SECOND requests to Thulium are used up."""


def lookup(number: str, customer_id: int | None = None) -> str:
    """The caller's label from Thulium (one request, two or three at most), or UNKNOWN.
    Raises Later when a request would pass the limit: the whole lookup waits a second."""
    customer = None
    if customer_id is not None:
        _take_turn()
        try:
            customer = get_customer(customer_id)
        except ThuliumAPIError as exc:
            if exc.status != 404:
                raise
    if customer is None:
        _take_turn()
        found = search_by_phone(number, limit=2)
        customer = found[0] if found else None
    if customer is None:
        return UNKNOWN
    return customer.label(company_name(customer.company_id) if customer.company_id else "")


def _take_turn() -> None:
    """One of this second's CUSTOMER_LOOKUPS_PER_SECOND requests to Thulium, shared by every
    worker (a counter per second in Redis); Later when they are used up."""
    key = f"caller:rate:{int(time.time())}"
    cache.add(key, 0, timeout=5)
    try:
        taken = cache.incr(key)
    except ValueError:  # expired between the two: a new second
        return
    if taken > settings.CUSTOMER_LOOKUPS_PER_SECOND:
        raise Later


# --- Thulium's CRM ----------------------------------------------------------------------------


def get_customer(customer_id: int) -> Customer | None:
    body = request("GET", f"customers/{customer_id}")
    return Customer.from_api(body) if isinstance(body, dict) and body else None


def search_by_phone(number: str, limit: int = 20) -> list[Customer]:
    return _customers({"phone_number": number, "limit": limit})


def search(text: str, limit: int = 20) -> list[Customer]:
    """The call dialog's search: by phone number, e-mail, NIP or identifier (the document's
    `GET customers` has no search by name)."""
    text = text.strip()
    if "@" in text:
        return _customers({"email": text, "limit": limit})
    if re.fullmatch(r"[\d\s+()-]{6,}", text):
        found = _customers({"phone_number": normalize(text), "limit": limit})
        if found or len(normalize(text)) != 10:
            return found
        return _customers({"nip": normalize(text), "limit": limit})  # ten digits: maybe a NIP
    return _customers({"identifier": text, "limit": limit})


def _customers(params: dict) -> list[Customer]:
    return [Customer.from_api(row) for row in _rows(request("GET", "customers", params=params))]


def company_name(company_id: int) -> str:
    """A company's name, cached like a caller's ("" when Thulium has none)."""
    key = f"caller:company:{company_id}"
    name = cache.get(key)
    if name is None:
        _take_turn()
        try:
            body = request("GET", f"companies/{company_id}")
        except ThuliumAPIError as exc:
            if exc.status != 404:
                raise
            body = None
        name = to_str(body.get("name")) if isinstance(body, dict) else ""
        cache.set(key, name, timeout=settings.CUSTOMER_CACHE_SECONDS)
    return name


def campaigns_calling(number: str) -> list[tuple[str, str]]:
    """GET outbounds_by_phone_number/:phone_number: the campaigns that have this number, as
    (id, name). The document lists the endpoint without its answer: a list of campaigns
    ({"id"/"outbound_id", "name"}), of bare ids, or such a list under "result"/"outbounds".
    """
    if not normalize(number):
        return []
    body = request("GET", f"outbounds_by_phone_number/{normalize(number)}")
    if isinstance(body, dict):
        body = next((body[k] for k in ("result", "outbounds", "campaigns") if k in body), [body])
    found = []
    for item in body if isinstance(body, list) else []:
        if isinstance(item, dict):
            cid = to_str(item.get("id") or item.get("outbound_id") or item.get("campaign_id"))
            name = to_str(item.get("name") or item.get("outbound_name"))
        elif not is_null(item):
            cid, name = to_str(item), ""
        else:
            continue
        if cid:
            found.append((cid, name))
    return found
