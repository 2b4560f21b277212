"""Campaign ("outbound") model and deterministic seeding."""

import itertools

from .population import phone

SYSTEM_STATUSES = (
    "TO_CALL",
    "IN_PROGRESS",
    "CALL",
    "MY_RECORD",
    "NO_CALL",
    "ABANDONED_AFTER_N_TRIES",
    "CALL_NO_SOONER_THAN",
    "CALL_PROGRESSIVE",
)
DONE = ("NO_CALL", "ABANDONED_AFTER_N_TRIES")
CALLABLE = ("TO_CALL", "CALL", "CALL_PROGRESSIVE", "CALL_NO_SOONER_THAN")
# (system_status, name, dictionary_status_id)
STATUS_TEMPLATE = [
    ("TO_CALL", "Nowy rekord", None),
    ("IN_PROGRESS", "W trakcie", None),
    ("CALL", "Ponowić kontakt", 2),
    ("MY_RECORD", "Umówiony kontakt", 3),
    ("NO_CALL", "Nie dzwonić", None),
    ("NO_CALL", "Sprzedaż", 5),
    ("NO_CALL", "Niezainteresowany", 6),
    ("ABANDONED_AFTER_N_TRIES", "Odrzucony po 3 próbach", None),
    ("CALL_NO_SOONER_THAN", "Oddzwonić później", 7),
    ("CALL_PROGRESSIVE", "Spad predictive", None),
]
SEED_CAMPAIGNS = [
    ("Sprzedaż OZE wiosna", "predictive", True),
    ("Windykacja miękka", "progressive", False),
    ("Ankieta satysfakcji", "preview", False),
    ("Odnowienia umów", "progressive", True),
    ("Cross-sell internet", "predictive", False),
    ("Przypomnienie o płatności", "preview", True),
    ("Reaktywacja klientów", "predictive", True),
    ("Umówienie wizyt", "preview", False),
]
# Campaign groups ("Id grupy kampanii", the document's example is 15): ids apart from the
# agent groups' 1..n, so a form that offers agent groups is caught.
CAMPAIGN_GROUPS = [(15, "Sprzedaż"), (16, "Windykacja"), (17, "Ankiety")]


class Record:
    __slots__ = (
        "record_id",
        "phone_number",
        "system_status",
        "status_id",
        "call_date",
        "create_date",
        "next_call_date",
        "agent_login",
        "customer_id",
        "last_note",
        "order",
        "attempts",
        "busy",
        "prev_status",
    )

    def __init__(self, **kw):
        self.busy = False
        self.attempts = 0
        self.prev_status = None
        for k, v in kw.items():
            setattr(self, k, v)


class Campaign:
    _outbound_ids = itertools.count(11)

    def __init__(
        self,
        cid,
        name,
        dialer,
        crm,
        active=True,
        start_date=None,
        end_date=None,
        order=50,
        parity=50,
        parameters=None,
        group_id=None,
    ):
        self.id, self.name, self.dialer, self.crm, self.active = cid, name, dialer, crm, active
        self.start_date, self.end_date, self.order, self.parity = (
            start_date,
            end_date,
            order,
            parity,
        )
        self.parameters = dict(parameters or {})
        self.group_id = group_id
        self.outbound_id = next(Campaign._outbound_ids)
        self.agents = {}  # login -> active_in_outbound
        self.statuses = []  # dicts: system_status, status_id, dictionary_status_id, name
        self.records = []
        self.removed = False
        self.in_flight = 0

    def make_statuses(self, base):
        self.statuses = [
            {"system_status": s, "status_id": str(base + i), "dictionary_status_id": d, "name": n}
            for i, (s, n, d) in enumerate(STATUS_TEMPLATE)
        ]

    def status_for(self, system_status, rng=None, name=None):
        opts = [s for s in self.statuses if s["system_status"] == system_status]
        if name:
            opts = [s for s in opts if s["name"] == name] or opts
        if not opts:
            return None
        return rng.choice(opts) if rng is not None else opts[0]

    def status_name(self, status_id):
        for s in self.statuses:
            if s["status_id"] == str(status_id):
                return s["name"]
        return ""

    def stats(self):
        n = len(self.records)
        done = sum(1 for r in self.records if r.system_status in DONE)
        return {
            "id": self.id,
            "records_count": n,
            "completion_percent": round(100.0 * done / n, 2) if n else 0,
        }

    def listing(self):
        return {
            "id": self.id,
            "name": self.name,
            "crm": self.crm,
            "order": self.order,
            "parity": self.parity,
        }

    def summary(self, c):
        counts = {}
        for r in self.records:
            counts[r.system_status] = counts.get(r.system_status, 0) + 1
        d = self.listing()
        d.update(
            dialer=self.dialer,
            active=self.active,
            removed=self.removed,
            group_id=self.group_id,
            start_date=self.start_date,
            end_date=self.end_date,
            parameters=self.parameters,
            agents=sorted(self.agents),
            record_counts=counts,
            in_flight=self.in_flight,
        )
        return d


def next_campaign_id(c):
    n = 1
    while "%05d" % n in c.campaigns:
        n += 1
    return "%05d" % n


def add_records(c, camp, rng, count, now):
    for _ in range(count):
        rid = next(c.record_ids)
        r = Record(
            record_id=rid,
            phone_number=phone(rng),
            system_status="TO_CALL",
            status_id=None,
            call_date=None,
            create_date=now - rng.uniform(3600, 20 * 86400),
            next_call_date=None,
            agent_login=None,
            customer_id=rng.randint(100, 99999) if camp.crm else None,
            last_note="",
            order="",
        )
        camp.records.append(r)
        set_status(camp, r, "TO_CALL")
    return camp.records


def set_status(camp, r, system_status, rng=None, name=None):
    st = camp.status_for(system_status, rng, name)
    r.system_status = system_status
    r.status_id = int(st["status_id"]) if st else None


def seed_campaigns(c, rng):
    c.record_ids = itertools.count(1001)
    c.campaign_groups = [{"group_id": g, "name": n} for g, n in CAMPAIGN_GROUPS]
    now = c.t
    agents = [a for a in c.real_agents() if a.active]
    sales = [g["group_id"] for g in c.groups if g["name"] in ("Sprzedaż", "Windykacja")] or [
        c.groups[0]["group_id"]
    ]
    for i, (name, dialer, crm) in enumerate(SEED_CAMPAIGNS):
        cid = "%05d" % (i + 1)
        camp = Campaign(
            cid,
            name,
            dialer,
            crm,
            active=(i not in (4, 7)),
            start_date=c.clock.day(now - 86400 * 7),
            end_date=c.clock.day(now + 86400 * 30),
            order=rng.choice([10, 50, 50, 100]),
            parity=rng.choice([25, 50, 50, 75]),
            parameters={
                "caller_id": "22" + "".join(rng.choice("0123456789") for _ in range(7)),
                "preview_timeout": 30 if dialer == "preview" else "",
                "predictive_min_calls": "1.0" if dialer == "predictive" else "",
                "predictive_max_calls": "2.5" if dialer == "predictive" else "",
            },
            group_id=CAMPAIGN_GROUPS[rng.randint(1, 3) - 1][0],
        )
        camp.parameters = {k: v for k, v in camp.parameters.items() if v != ""}
        camp.make_statuses(10 * (i + 1))
        pool = [a for a in agents if a.group_id in sales] or agents
        k = max(1, min(len(pool), int(len(agents) * rng.uniform(0.08, 0.18))))
        for a in rng.sample(pool, k):
            camp.agents[a.login] = rng.random() > 0.1
        add_records(c, camp, rng, rng.randint(40, 160), now)
        for r in camp.records:
            x = rng.random()
            if x < 0.45:
                continue  # TO_CALL
            r.call_date = now - rng.uniform(600, 6 * 86400)
            r.attempts = rng.randint(1, 2)
            if x < 0.55:
                set_status(camp, r, "CALL")
            elif x < 0.62:
                set_status(camp, r, "MY_RECORD")
                r.agent_login = rng.choice(list(camp.agents))
                r.next_call_date = now + rng.uniform(3600, 5 * 86400)
            elif x < 0.82:
                set_status(camp, r, "NO_CALL", rng)
                r.last_note = rng.choice(
                    [
                        "Klient niezainteresowany",
                        "Umowa podpisana",
                        "Prosi o kontakt mailowy",
                        "Błędny numer",
                    ]
                )
            elif x < 0.87:
                set_status(camp, r, "ABANDONED_AFTER_N_TRIES")
                r.attempts = 3
            elif x < 0.94:
                set_status(camp, r, "CALL_NO_SOONER_THAN")
                r.next_call_date = now + rng.uniform(-3600, 2 * 86400)
            elif x < 0.97:
                set_status(camp, r, "CALL_PROGRESSIVE")
            else:
                set_status(camp, r, "IN_PROGRESS")
        c.campaigns[cid] = camp
