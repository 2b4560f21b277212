import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from crm_bridge.receiver import asgi_door  # noqa: E402
from dashboard.routing import websocket_urlpatterns  # noqa: E402


def _daphne_denial_responses() -> None:
    """daphne (4.2) answers any websocket refused before its handshake with 403, and lacks
    ASGI's "websocket.http.response" extension, with which an app gives the status itself.
    Added here (an unknown /ws/ path is a 404, dashboard/consumers.not_found)."""
    try:
        from autobahn.websocket.types import ConnectionDeny
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    if getattr(Server, "denial_responses", False):
        return
    create_application, handle_reply = Server.create_application, WebSocketProtocol.handle_reply

    def create(self, protocol, scope):
        if scope.get("type") == "websocket":
            scope.setdefault("extensions", {})["websocket.http.response"] = {}
        return create_application(self, protocol, scope)

    def reply(self, message):
        kind = message.get("type")
        if kind == "websocket.http.response.start" and self.state == self.STATE_CONNECTING:
            self.handshake_deferred.errback(ConnectionDeny(code=message["status"]))
            del self.handshake_deferred
            self.server.protocol_disconnected(self)
        elif kind != "websocket.http.response.body":  # the body: ConnectionDeny has its own
            handle_reply(self, message)

    Server.create_application, WebSocketProtocol.handle_reply = create, reply
    Server.denial_responses = True


def _daphne_unparsed_bodies() -> None:
    """twisted parses every form-encoded or multipart POST body into `request.args`, which
    daphne never reads: ~85 µs of a webhook's CPU (the content type through the email
    package, then the form), and a multipart body it cannot parse answered 400 before the
    app sees it. Off: the body goes to the app as it came."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:
        return
    if getattr(WebRequest, "unparsed_bodies", False):
        return
    init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **{**kwargs, "parsePOSTFormSubmission": False})

    WebRequest.__init__, WebRequest.unparsed_bodies = __init__, True


_daphne_denial_responses()
_daphne_unparsed_bodies()

application = ProtocolTypeRouter(
    {
        # Thulium's webhooks are answered before Django's request machinery (receiver.py).
        "http": asgi_door(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the process: out of
# the garbage collector's full passes, which walked it all and held daphne's event loop for
# tens of milliseconds at a time, in the tail of every request's answer.
gc.freeze()
