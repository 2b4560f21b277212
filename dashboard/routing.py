from django.urls import path

from .consumers import CampaignsConsumer, LiveConsumer
from .consumers_wallboard import WallboardConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/campaigns/", CampaignsConsumer.as_asgi()),
    path("ws/wallboard/<str:token>/", WallboardConsumer.as_asgi()),
]
