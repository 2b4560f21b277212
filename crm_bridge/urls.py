from django.urls import path

from . import webhooks

urlpatterns = [
    path("webhooks/thulium/", webhooks.thulium_webhook, name="thulium-webhook"),
]
