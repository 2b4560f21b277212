from django.urls import path

from . import metrics, readiness, receiver

urlpatterns = [
    path("webhooks/thulium/", receiver.thulium_webhook, name="thulium-webhook"),
    path("readyz", readiness.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
