"""The CRM: customers and companies, as the document's "Klienci" and "Firmy" sections give them
(`GET customers`, `GET customers/:id`, `GET companies/:id`), and `GET
outbounds_by_phone_number/:phone_number` (listed in the document's index with no section of its
own: we answer the campaigns' listing shape, `[{"id", "name", ...}]`).

The directory is generated from the seed: 2,500 people, some of them working for one of 40
companies (a company is a customer with `company_flag`); inbound callers come from it
(calls.py), so most ringing calls have a name to find and some do not."""

import random

from .population import FEMALE, MALE, SURNAMES, ascii_fold, phone
from .server import ApiError, route

PEOPLE, COMPANIES = 2500, 40
COMPANY_WORDS = ["Hurtownia", "Piekarnia", "Biuro", "Apteka", "Serwis", "Drukarnia", "Kancelaria"]
COMPANY_PLACES = ["Kraków", "Gdańsk", "Poznań", "Łódź", "Wrocław", "Lublin", "Toruń", "Opole"]
ORDER_FIELDS = {"surname", "name", "nip", "company_id", "customer_id", "identifier"}


class Directory:
    def __init__(self, seed: int):
        rng = random.Random(seed * 104729 + 11)
        self.customers: dict[int, dict] = {}
        self.by_phone: dict[str, list[int]] = {}
        companies = []
        for n in range(COMPANIES):
            cid = 1000 + n
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_PLACES)} {n + 1} sp. z o.o."
            companies.append(cid)
            self._add(rng, cid, name=name, surname="", company_id=cid, company_flag=True)
        for n in range(PEOPLE):
            female = rng.random() < 0.5
            name = rng.choice(FEMALE if female else MALE)
            surname = rng.choice(SURNAMES)[1 if female else 0]
            company = rng.choice(companies) if rng.random() < 0.3 else ""
            self._add(rng, 2000 + n, name=name, surname=surname, company_id=company)
        self.people = list(range(2000, 2000 + PEOPLE))

    def _add(self, rng, customer_id, *, name, surname, company_id, company_flag=False):
        numbers = [phone(rng)] + ([phone(rng)] if rng.random() < 0.2 else [])
        login = (
            ascii_fold(f"{name}.{surname}.{customer_id}".lower())
            if surname
            else f"biuro{customer_id}"
        )
        self.customers[customer_id] = {
            "customer_id": customer_id,
            "name": name,
            "surname": surname,
            "phone_number": numbers[0],
            "phone_numbers": numbers,
            "email": f"{login}@example.pl",
            "emails": [f"{login}@example.pl"],
            "company_id": company_id,
            "identifier": str(customer_id * 7 + 3),
            "type": "",
            "group": "",
            "company_flag": company_flag,
            "birthdate": "",
            "gender": "",
            "homepage": "",
            "nip": str(6780000000 + customer_id) if company_flag else "",
            "account_manager": "",
            "updated_at": "",
        }
        for number in numbers:
            self.by_phone.setdefault(number, []).append(customer_id)

    def caller(self, rng):
        """A known customer calling (number, customer_id) or None for a stranger."""
        if rng.random() >= 0.65:
            return None
        person = self.customers[rng.choice(self.people)]
        return person["phone_number"], person["customer_id"]

    def share_numbers(self, campaigns) -> None:
        """Every tenth person is also a record of a campaign (same number): what
        `outbounds_by_phone_number` finds."""
        numbers = [r.phone_number for camp in campaigns for r in camp.records][: PEOPLE // 10]
        for n, number in enumerate(numbers):
            person = self.customers[self.people[n * 10]]
            self.by_phone[person["phone_number"]].remove(person["customer_id"])
            person["phone_number"] = number
            person["phone_numbers"] = [number, *person["phone_numbers"][1:]]
            self.by_phone.setdefault(number, []).append(person["customer_id"])


def directory(c) -> Directory:
    if getattr(c, "directory", None) is None:
        c.directory = Directory(c.seed)
        c.directory.share_numbers(c.campaigns.values())
    return c.directory


def _counted(c, what: str) -> None:
    c.api_counts[what] += 1


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


@route("GET", r"customers")
def customers(c, req):
    _counted(c, "customers")
    d = directory(c)
    found = list(d.customers.values())
    number = req.get("phone_number")
    if number is not None:
        number = str(number).strip().lstrip("+")
        ids = d.by_phone.get(number, []) if number else []
        found = (
            [d.customers[i] for i in ids] if number else [x for x in found if not x["phone_number"]]
        )
    for field in ("email", "identifier", "nip", "company_id", "type", "group"):
        value = req.get(field)
        if value is None:
            continue
        value = str(value).strip()
        if field == "email":
            found = [x for x in found if value.lower() in (e.lower() for e in x["emails"])]
        else:
            found = [x for x in found if str(x[field]) == value]
    if req.get("company_flag") is not None:
        found = [x for x in found if x["company_flag"] == _flag(req.get("company_flag"))]
    try:
        limit = int(req.get("limit") or 100)
        offset = int(req.get("offset") or 0)
    except ValueError:
        raise ApiError(400, "Invalid limit or offset.", "Niepoprawny limit lub offset.") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise ApiError(400, "Limit must be 1 to 1000.", "Limit musi mieścić się w 1–1000.")
    for field in reversed([f for f in str(req.get("order") or "").split(",") if f]):
        key = field.lstrip("-")
        if key not in ORDER_FIELDS:
            raise ApiError(400, f"Cannot order by {key}.", f"Nie można sortować po {key}.")
        found = sorted(found, key=lambda x, k=key: str(x[k]), reverse=field.startswith("-"))
    return 200, [dict(x) for x in found[offset : offset + limit]]


@route("GET", r"customers/(?P<id>[^/]+)")
def customer(c, req):
    _counted(c, "customers")
    found = directory(c).customers.get(_id(req.args["id"]))
    if found is None:
        raise ApiError(404, "Customer not found.", "Nie znaleziono klienta.")
    return 200, dict(found)


@route("GET", r"companies/(?P<id>[^/]+)")
def company(c, req):
    _counted(c, "companies")
    found = directory(c).customers.get(_id(req.args["id"]))
    if found is None or not found["company_flag"]:
        raise ApiError(404, "Company not found.", "Nie znaleziono firmy.")
    return 200, {
        "name": found["name"],
        "company_id": found["company_id"],
        "customer_id": found["customer_id"],
        "type": "",
        "group": "",
        "nip": found["nip"],
        "account_manager": "",
    }


@route("GET", r"outbounds_by_phone_number/(?P<number>[^/]+)")
def outbounds_by_phone_number(c, req):
    _counted(c, "outbounds_by_phone_number")
    number = req.args["number"].strip().lstrip("+")
    if not number.isdigit():
        raise ApiError(
            400, "Wrong format of phone number.", "Niepoprawny format numeru telefonu.", 20021
        )
    out = []
    for camp in c.campaigns.values():
        if not camp.removed and any(r.phone_number == number for r in camp.records):
            out.append({"id": camp.id, "name": camp.name, "active": camp.active})
    return 200, out


def _id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(404, "Not found.", "Nie znaleziono.") from None
