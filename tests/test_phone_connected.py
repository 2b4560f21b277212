"""AGENT_PHONE_CONNECTED on the board: a logged-in agent whose phone is not connected says so
in words; a connected phone shows its number; an unknown phone shows nothing."""

import pytest

from crm_bridge.models import Agent
from tests.conftest import make_user
from tests.test_pause_during_call import event  # one helper for both files

pytestmark = pytest.mark.django_db


@pytest.fixture
def row(client, django_user_model):
    client.force_login(make_user("supervisor"))

    def render() -> str:
        page = client.get("/").content.decode()
        return page.split('id="agent-jkowalski"')[1].split("</tr>")[0]

    return render


def test_a_connected_phone_shows_its_number(row):
    event("AGENT_LOGGED_IN", 0)
    assert event("AGENT_PHONE_CONNECTED", 0, phone_number="800")
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.phone_connected, agent.phone_number) == (True, "800")
    html = row()
    assert "Phone</span> 800" in html and "not connected" not in html


def test_phone_not_connected_is_shown_after_logging_in_again(row):
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_PHONE_CONNECTED", 0, phone_number="800")
    event("AGENT_LOGGED_OUT", 60)
    assert Agent.objects.get(login="jkowalski").phone_connected is False
    assert "not connected" not in row()  # logged off: nothing to say
    event("AGENT_LOGGED_IN", 120)
    assert "Phone not connected" in row()
    event("AGENT_PHONE_CONNECTED", 121, phone_number="801")
    html = row()
    assert "not connected" not in html and "801" in html


def test_a_phone_never_heard_of_shows_nothing(row):
    event("AGENT_LOGGED_IN", 0)
    html = row()
    assert "not connected" not in html and 'class="phone"' not in html


def test_a_phone_connected_before_the_logout_is_stale():
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_PHONE_CONNECTED", 0, phone_number="800")
    event("AGENT_LOGGED_OUT", 60)
    assert not event("AGENT_PHONE_CONNECTED", 30, phone_number="800")  # delivered late
    assert Agent.objects.get(login="jkowalski").phone_connected is False
