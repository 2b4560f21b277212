"""Deterministic (per --seed) generation of the contact centre: agents, groups, queues."""

from .centre import Agent

MALE = [
    "Jan",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Michał",
    "Marcin",
    "Grzegorz",
    "Józef",
    "Łukasz",
    "Adam",
    "Zbigniew",
    "Jerzy",
    "Tadeusz",
    "Mateusz",
    "Dariusz",
    "Mariusz",
    "Wojciech",
    "Ryszard",
    "Jakub",
    "Henryk",
    "Robert",
    "Kamil",
    "Maciej",
    "Rafał",
    "Szymon",
    "Sebastian",
    "Bartosz",
    "Artur",
    "Damian",
    "Dawid",
    "Przemysław",
    "Sławomir",
    "Filip",
]
FEMALE = [
    "Anna",
    "Maria",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Krystyna",
    "Elżbieta",
    "Magdalena",
    "Joanna",
    "Aleksandra",
    "Zofia",
    "Monika",
    "Teresa",
    "Danuta",
    "Natalia",
    "Karolina",
    "Marta",
    "Beata",
    "Dorota",
    "Halina",
    "Jadwiga",
    "Justyna",
    "Paulina",
    "Izabela",
    "Weronika",
    "Julia",
    "Iwona",
    "Alicja",
    "Patrycja",
    "Sylwia",
]
# (masculine, feminine)
SURNAMES = [
    ("Nowak", "Nowak"),
    ("Kowalski", "Kowalska"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"),
    ("Kwiatkowski", "Kwiatkowska"),
    ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"),
    ("Nowakowski", "Nowakowska"),
    ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"),
    ("Nowicki", "Nowicka"),
    ("Adamczyk", "Adamczyk"),
    ("Dudek", "Dudek"),
    ("Zając", "Zając"),
    ("Wieczorek", "Wieczorek"),
    ("Jabłoński", "Jabłońska"),
    ("Król", "Król"),
    ("Majewski", "Majewska"),
    ("Olszewski", "Olszewska"),
    ("Jaworski", "Jaworska"),
    ("Wróbel", "Wróbel"),
    ("Malinowski", "Malinowska"),
    ("Pawlak", "Pawlak"),
    ("Witkowski", "Witkowska"),
    ("Walczak", "Walczak"),
    ("Stępień", "Stępień"),
    ("Górski", "Górska"),
    ("Rutkowski", "Rutkowska"),
    ("Michalak", "Michalak"),
    ("Sikora", "Sikora"),
    ("Ostrowski", "Ostrowska"),
    ("Baran", "Baran"),
    ("Duda", "Duda"),
    ("Szewczyk", "Szewczyk"),
    ("Tomaszewski", "Tomaszewska"),
    ("Pietrzak", "Pietrzak"),
    ("Marciniak", "Marciniak"),
    ("Wróblewski", "Wróblewska"),
    ("Zalewski", "Zalewska"),
    ("Jakubowski", "Jakubowska"),
    ("Jasiński", "Jasińska"),
    ("Zawadzki", "Zawadzka"),
    ("Sadowski", "Sadowska"),
    ("Bąk", "Bąk"),
    ("Chmielewski", "Chmielewska"),
    ("Włodarczyk", "Włodarczyk"),
    ("Borkowski", "Borkowska"),
    ("Czarnecki", "Czarnecka"),
    ("Sawicki", "Sawicka"),
    ("Sokołowski", "Sokołowska"),
    ("Urbański", "Urbańska"),
    ("Kubiak", "Kubiak"),
    ("Maciejewski", "Maciejewska"),
    ("Szczepański", "Szczepańska"),
]
GROUP_NAMES = [
    "Obsługa klienta",
    "Sprzedaż",
    "Windykacja",
    "Wsparcie techniczne",
    "Reklamacje",
    "Retencja",
    "Klienci VIP",
    "Back office",
]
QUEUE_NAMES = ["BOK", "Sprzedaż", "Reklamacje", "Windykacja", "Wsparcie"]
CHAT_QUEUES = [(1, "Czat BOK"), (2, "Czat Sprzedaż")]
FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def ascii_fold(s):
    return s.translate(FOLD)


def phone(rng):
    return rng.choice("5678") + "".join(rng.choice("0123456789") for _ in range(8))


def populate(centre, rng, n_agents, n_groups, n_queues):
    n_groups = max(1, n_groups)
    n_queues = max(1, n_queues)
    for i in range(n_groups):
        name = GROUP_NAMES[i] if i < len(GROUP_NAMES) else "Zespół %d" % (i + 1)
        centre.groups.append({"group_id": i + 1, "name": name})
    for i in range(n_queues):
        name = QUEUE_NAMES[i] if i < len(QUEUE_NAMES) else "Kolejka %d" % (i + 1)
        groups = {i % n_groups + 1}
        if n_groups > 1 and rng.random() < 0.5:
            groups.add((i + 1) % n_groups + 1)
        centre.queues.append(
            {
                "queue_id": 155 + i,
                "name": name,
                "groups": sorted(groups),
                "did": "22" + "".join(rng.choice("0123456789") for _ in range(7)),
                "waiting": [],
                "weight": rng.uniform(0.6, 1.4),
            }
        )
    # every group serves at least one queue
    for g in centre.groups:
        if not any(g["group_id"] in q["groups"] for q in centre.queues):
            rng.choice(centre.queues)["groups"].append(g["group_id"])
    for qid, name in CHAT_QUEUES:
        centre.chat_queues.append(
            {"chat_queue_id": qid, "name": name, "groups": [((qid - 1) % n_groups) + 1]}
        )

    automat = Agent(1, "", "Automat", "Automat", "", "", "", active="")
    centre.agents.append(automat)
    centre.by_login[""] = automat
    for i in range(n_agents):
        female = rng.random() < 0.55
        first = rng.choice(FEMALE if female else MALE)
        surname = rng.choice(SURNAMES)[1 if female else 0]
        base = ascii_fold(first[0] + surname).lower()
        login, k = base, 1
        while login in centre.by_login:
            k += 1
            login = "%s%d" % (base, k)
        email = "{}.{}{}@example.pl".format(
            ascii_fold(first).lower(),
            ascii_fold(surname).lower(),
            "" if k == 1 else k,
        )
        group_id = (i % n_groups) + 1 if rng.random() < 0.85 else rng.randint(1, n_groups)
        a = Agent(
            i + 2,
            login,
            first,
            surname,
            email,
            100 + i,
            group_id,
            active=rng.random() > 0.03,
            outbound_mode="automatic" if rng.random() < 0.35 else "manual",
        )
        a.last_change = centre.t - rng.uniform(30, 3 * 3600)
        centre.agents.append(a)
        centre.by_login[login] = a

    # initial presence: ~80% logged in, mostly free, some paused
    for a in centre.real_agents():
        if not a.active or rng.random() > 0.8:
            continue
        a.logged_in = True
        r = rng.random()
        if r < 0.18:
            a.pause_id = rng.choice([2, 3, 3, 4, 5])
            a.last_change = centre.t - rng.uniform(10, 900)
