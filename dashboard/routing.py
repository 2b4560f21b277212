from django.urls import path, re_path

from .consumers import CampaignsConsumer, LiveConsumer, not_found
from .consumers_wallboard import WallboardConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/campaigns/", CampaignsConsumer.as_asgi()),
    path("ws/wallboard/<str:token>/", WallboardConsumer.as_asgi()),
    re_path(r"", not_found),  # anything else: 404, as a page would be (not a 500)
]
