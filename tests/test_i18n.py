"""Polish and English: how a user's language is chosen and kept, what speaks it (pages, plurals,
errors, admin, Thulium's own messages, wallboards), and a catalogue that is complete and
compiled (a fresh clone shows Polish with no extra step)."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

import config.settings as shipped
from crm_bridge import sync
from crm_bridge.models import Agent, AgentStatus
from dashboard.models import Profile, Wallboard

LOCALE = Path(django_settings.BASE_DIR) / "locale"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _as_shipped(settings):
    """The product's own default language, not the suite's English (tests/conftest.py)."""
    settings.LANGUAGE_CODE = shipped.LANGUAGE_CODE


@pytest.fixture
def user(db, django_user_model):
    """A user who sees every agent (a superuser), so the board has rows to speak of."""
    return django_user_model.objects.create_superuser("ola", password="pass-ola-123")


def _browser(accept_language: str | None) -> Client:
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    return Client(**headers)


def _logged_in(accept_language: str | None, username: str = "ola") -> Client:
    browser = _browser(accept_language)
    response = browser.post(reverse("login"), {"username": username, "password": "pass-ola-123"})
    assert response.status_code == 302, "logged in"
    return browser


def _board(browser: Client) -> str:
    return browser.get(reverse("board")).content.decode()


def test_polish_is_the_default_and_the_browser_can_ask_for_english(user):
    assert shipped.LANGUAGE_CODE == "pl"
    for asks in (None, "de-DE,de;q=0.9", "pl-PL,pl;q=0.9"):
        page = _board(_logged_in(asks))
        assert '<html lang="pl"' in page and ">Agenci</a>" in page and ">Wyloguj</button>" in page
    page = _board(_logged_in("en-GB,en;q=0.9"))
    assert '<html lang="en"' in page and ">Agents</a>" in page and ">Log out</button>" in page
    login_page = _browser("en-US").get(reverse("login")).content.decode()
    assert "Username" in login_page
    assert "Nazwa użytkownika" in _browser(None).get(reverse("login")).content.decode()


def test_the_choice_is_kept_for_the_user_across_sessions_and_browsers(user):
    english = _logged_in("en-GB")
    response = english.post(reverse("set-language"), {"language": "pl", "next": "/campaigns/"})
    assert response.status_code == 302 and response["Location"] == "/campaigns/"
    assert ">Kampanie wychodzące<" in english.get("/campaigns/").content.decode()
    assert Profile.language_of(user) == "pl"
    english.post(reverse("logout"))
    # The same browser, logged out: its cookie keeps the log-in page Polish.
    assert "Nazwa użytkownika" in english.get(reverse("login")).content.decode()
    # Another browser that asks for English, after logging in: still Polish for this user.
    other = _browser("en-GB")
    other.post(reverse("login"), {"username": "ola", "password": "pass-ola-123"})
    assert '<html lang="pl"' in _board(other)
    other.post(reverse("set-language"), {"language": "en", "next": "/"})
    assert '<html lang="en"' in _board(other)
    assert Profile.language_of(user) == "en"


def test_the_switcher_goes_back_only_to_this_site(user):
    browser = _logged_in("pl")
    response = browser.post(
        reverse("set-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("logged_in", "text"),
    [
        (1, "1 agent zalogowany"),
        (2, "2 agenci zalogowani"),
        (5, "5 agentów zalogowanych"),
        (22, "22 agenci zalogowani"),
    ],
)
def test_polish_plurals_on_the_board(user, logged_in, text):
    Agent.objects.bulk_create(
        [Agent(login=f"a{i}", status=AgentStatus.FREE) for i in range(logged_in)]
        + [Agent(login="off", status=AgentStatus.OFF)]
    )
    page = _board(_logged_in("pl"))
    assert re.search(r"data-logged-in=\"\d+\">\s*" + text + r"\s*<", page), text
    assert ">Wolny</span>" in page and "Wylogowany" in page  # status labels


def test_english_plural_on_the_board(user):
    Agent.objects.create(login="a1", status=AgentStatus.FREE)
    assert "1 agent logged in" in _board(_logged_in("en"))


def test_a_missing_page_is_styled_in_the_users_language_with_a_way_back(user):
    page = _logged_in("pl").get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert 'data-error="404"' in html and "Nie znaleziono strony" in html
    assert f'href="{reverse("board")}">Wróć do tablicy</a>' in html
    assert "Page not found" in _logged_in("en").get("/no-such-page/").content.decode()


def test_a_forbidden_page_says_why_in_the_users_language(db, django_user_model):
    django_user_model.objects.create_user("bez", password="pass-ola-123")  # not an admin
    page = _logged_in("pl", "bez").get(reverse("wallboards"))
    assert page.status_code == 403
    html = page.content.decode()
    assert 'data-error="403"' in html and "Tablicami zarządzają tylko administratorzy." in html
    assert "Wróć do tablicy" in html


def test_admin_labels_of_our_models_are_translated(admin_user):
    browser = _browser("pl")
    browser.force_login(admin_user)
    html = browser.get("/admin/").content.decode()
    for label in ("Tablice ścienne", "Kolejki", "Agenci", "Powody pauz", "Kampanie"):
        assert label in html, label


def test_a_wallboard_speaks_its_own_language_whoever_looks(db):
    polish = Wallboard.objects.create(name="Sala", kind=Wallboard.Kind.ALL, language="pl")
    english = Wallboard.objects.create(name="Floor", kind=Wallboard.Kind.ALL, language="en")
    Agent.objects.create(login="jk", name="Jan", surname="K", status=AgentStatus.PAUSED)
    html = _browser("en").get(polish.get_absolute_url()).content.decode()
    assert "Kampanie" in html and "Pauza" in html and "Paused" not in html
    html = _browser("pl").get(english.get_absolute_url()).content.decode()
    assert "Campaigns" in html and "Paused" in html and "Pauza" not in html


def test_thuliums_refusal_reaches_the_user_in_their_language(user):
    sync.poll_directory()
    sync.poll_statuses()
    login = Agent.objects.filter(status="FREE").values_list("login", flat=True).first()
    for accept, said in (
        ("pl", "Agent nie prowadzi rozmowy."),
        ("en", "Agent has no active call."),
    ):
        browser = _logged_in(accept)
        url = reverse("agent-action", args=[login, "hangup"])
        toast = browser.post(url, **HTMX).content.decode()
        assert said in toast, toast


# --- The catalogue ----------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """(msgctxt, msgid, msgid_plural, msgstr / msgstr[n]) of a .po file, fuzzy flag kept."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"fuzzy": False}, None
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line):
                field = match.group(1)
                entry[field] = match.group(2)
            elif line.startswith('"') and field:
                entry[field] += line[1:-1]
        if entry.get("msgid"):
            entries.append({k: _unquote(v) if isinstance(v, str) else v for k, v in entry.items()})
    return entries


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def test_every_message_is_translated_and_compiled():
    """The committed .mo is what the .po says: run `manage.py compilemessages` after editing."""
    po = LOCALE / "pl" / "LC_MESSAGES" / "django.po"
    with (LOCALE / "pl" / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    entries = _po_entries(po)
    assert len(entries) > 300
    for entry in entries:
        msgid, context = entry["msgid"], entry.get("msgctxt")
        assert not entry["fuzzy"], f"fuzzy: {msgid!r}"
        if "msgid_plural" in entry:
            forms = [entry[f"msgstr[{n}]"] for n in range(4)]
            assert all(forms), f"untranslated plural: {msgid!r}"
            for n, form in zip((1, 2, 5), forms, strict=False):
                assert compiled.ngettext(msgid, entry["msgid_plural"], n) == form, msgid
        else:
            assert entry["msgstr"], f"untranslated: {msgid!r}"
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert got == entry["msgstr"], f"{msgid!r}: the .mo is older than the .po"


def test_the_board_lists_agents_in_polish_alphabetical_order(user):
    for surname in ("Śliwa", "Tomczak", "Łącki", "Sowa", "Maj", "Lis", "Zieliński", "Żak"):
        Agent.objects.create(login=surname.lower(), name="Jan", surname=surname, status="FREE")
    page = _board(_logged_in("pl"))
    order = re.findall(
        r'<tr id="agent-[^"]+"[^>]*>\s*<td class="who">(?:<a [^>]*>)?<strong>Jan (\w+)</strong>',
        page,
    )
    assert order == ["Lis", "Łącki", "Maj", "Sowa", "Śliwa", "Tomczak", "Zieliński", "Żak"]
