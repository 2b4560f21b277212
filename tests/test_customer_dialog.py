"""The call dialog finds a customer in Thulium's CRM, says which campaigns already call the
number, and calls the customer through the agent with customer_id (views against the
simulator over HTTP)."""

from django.urls import reverse

from crm_bridge import client as thulium
from crm_bridge.models import ActionLog, Agent
from tests.conftest import make_user
from tests.test_actions import (
    HTMX,
    act,
    free_login,
    supervisor,  # noqa: F401  (the fixture)
)


def _person(simulator, offset=900) -> dict:
    (person,) = simulator.api("GET", "customers", params={"limit": 1, "offset": offset}).json()
    return person


def test_the_dialog_finds_a_customer_by_phone_or_e_mail(supervisor, client, simulator):  # noqa: F811
    person = _person(simulator)
    login = free_login()
    dialog = client.get(reverse("agent-action-form", args=[login, "call"]), **HTMX).content.decode()
    assert 'name="q"' in dialog and 'name="customer_id"' in dialog
    for text in (person["phone_number"], person["email"]):
        found = client.get(reverse("customer-search"), {"q": text}).content.decode()
        assert f"{person['name']} {person['surname']}" in found
        assert f'data-customer-id="{person["customer_id"]}"' in found
    nothing = client.get(reverse("customer-search"), {"q": "nikt@example.pl"}).content.decode()
    assert "No customer found for “nikt@example.pl”." in nothing


def test_thuliums_refusal_of_the_search_is_shown_with_its_request_id(supervisor, client, simulator):  # noqa: F811
    simulator.control("fault", {"method": "GET", "path": "customers", "status": 403,
                                "message": "No access to the CRM."})  # fmt: skip
    try:
        answer = client.get(reverse("customer-search"), {"q": "600100200"}).content.decode()
    finally:
        simulator.control("fault", {})
    assert "Thulium said: No access to the CRM." in answer and "request_id" in answer


def test_the_campaigns_already_calling_a_number_are_named(supervisor, client, simulator):  # noqa: F811
    records = simulator.api("GET", "crm_outbounds/00001/records").json()
    rows = records["result"] if isinstance(records, dict) else records
    names = {c["id"]: c["name"] for c in simulator.api("GET", "outbounds").json()}
    answer = client.get(reverse("number-campaigns"), {"phone_number": rows[0]["phone_number"]})
    assert f"{names['00001']} (00001)" in answer.content.decode()
    none = client.get(reverse("number-campaigns"), {"phone_number": "111 000 111"})
    assert "No campaign calls this number." in none.content.decode()


def test_calling_a_chosen_customer_dials_their_number(supervisor, client, simulator):  # noqa: F811
    person = _person(simulator, 950)
    login = free_login()
    response = act(
        client, login, "call", {"phone_number": "", "customer_id": person["customer_id"]}
    )
    assert "done" in response.content.decode()
    calling = {a["login"]: a for a in simulator.state()["agents"]}[login]
    assert calling["call"]["phone_number"] == person["phone_number"]
    assert ActionLog.objects.get(action="call").params == {"customer_id": person["customer_id"]}
    assert Agent.objects.get(login=login).on_call  # the row: refreshed at once
    thulium.hangup(login)


def test_a_viewer_may_not_search_the_crm(db, client):
    client.force_login(make_user("viewer", role="viewer"))
    assert client.get(reverse("customer-search"), {"q": "600100200"}).status_code == 403
    assert client.get(reverse("number-campaigns"), {"phone_number": "600100200"}).status_code == 403
