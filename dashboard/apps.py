from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self):
        from . import live  # noqa: F401  (connects the live-push receivers)
