"""Chat queues named as Thulium names them (GET chats/queues), not "Chat 3": from the
document's own example, from the simulator as the directory poll reads it, never over a name
an admin gave, and a tenant without chats leaves the directory poll working."""

import pytest

from crm_bridge import client, sync
from crm_bridge.client import _rows
from crm_bridge.models import PollState
from dashboard.models import Queue
from tests.test_doc_examples import example

pytestmark = pytest.mark.django_db


def test_the_documents_example():
    queues = [client.ChatQueueInfo.from_api(r) for r in _rows(example("get_chats__queues.txt"))]
    assert [(q.chat_queue_id, q.name) for q in queues] == [(3, "BOK"), (4, "Service queue")]


def test_the_directory_poll_names_the_chat_queues(simulator):
    Queue.objects.create(kind=Queue.Kind.CHAT, number=2, name="Czat VIP")  # named in admin
    sync.poll_directory()
    thulium = {q["chat_queue_id"]: q["name"] for q in simulator.state()["chat_queues"]}
    chats = {q.number: q for q in Queue.objects.filter(kind=Queue.Kind.CHAT)}
    assert set(chats) == set(thulium)
    for number, name in thulium.items():
        expected = "Czat VIP" if number == 2 else name
        assert chats[number].display_name == expected != f"Chat {number}"


def test_a_tenant_without_chats_keeps_its_directory(simulator):
    simulator.control("fault", {"method": "GET", "path": "chats/queues", "status": 403,
                                "message": "Chats are not enabled."})  # fmt: skip
    try:
        agents, groups = sync.poll_directory()
    finally:
        simulator.control("fault", {})
    assert agents > 0 and groups > 0
    assert not PollState.objects.get(name=sync.DIRECTORY).failing
    assert not Queue.objects.filter(kind=Queue.Kind.CHAT).exists()
