from django.apps import AppConfig


class CrmBridgeConfig(AppConfig):
    name = "crm_bridge"
    verbose_name = "Thulium bridge"

    def ready(self):
        from . import campaign_events  # noqa: F401  (outbound results from the webhook feed)
