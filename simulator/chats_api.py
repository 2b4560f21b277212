"""Chat queues, as the document's `GET chats/queues` gives them."""

from .server import route


@route("GET", r"chats/queues")
def chat_queues(c, req):
    # The document's example: a display_name or null beside each queue's name.
    return 200, [
        {"chat_queue_id": q["chat_queue_id"], "name": q["name"], "display_name": None}
        for q in c.chat_queues
    ]
