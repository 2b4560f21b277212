from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self):
        from . import (
            access,  # noqa: F401  (open websockets follow their user's access)
            language,  # noqa: F401  (a user's language, remembered at log-in)
            live,  # noqa: F401  (connects the live-push receivers)
            live_channels,  # noqa: F401  (chats and e-mail today: board and wallboard push)
            live_queues,  # noqa: F401  (queue tracking and wallboard push)
        )
