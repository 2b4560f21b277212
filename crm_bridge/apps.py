from django.apps import AppConfig


class CrmBridgeConfig(AppConfig):
    name = "crm_bridge"
    verbose_name = "Thulium bridge"
