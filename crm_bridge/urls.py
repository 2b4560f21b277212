from django.urls import path

from . import receiver

urlpatterns = [
    path("webhooks/thulium/", receiver.thulium_webhook, name="thulium-webhook"),
]
