from django.contrib import admin

from .models import (
    ActionLog,
    Agent,
    AgentGroup,
    Campaign,
    CampaignDay,
    PauseReason,
    PollState,
    WebhookEvent,
)


@admin.register(PauseReason)
class PauseReasonAdmin(admin.ModelAdmin):
    list_display = ["pause_id", "name"]
    list_editable = ["name"]


@admin.register(AgentGroup)
class AgentGroupAdmin(admin.ModelAdmin):
    list_display = ["group_id", "name"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["login", "name", "surname", "group_id", "status", "pause_id", "status_since"]
    list_filter = ["status", "group_id", "active"]
    search_fields = ["login", "name", "surname"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "action", "agent_login", "connection_id", "event_date", "error"]
    list_filter = [("error", admin.EmptyFieldListFilter), "action"]
    search_fields = ["agent_login", "connection_id", "body", "error"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]


@admin.register(ActionLog)
class ActionLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "target", "action", "ok", "http_status", "request_id"]
    list_filter = ["action", "ok"]
    search_fields = ["target", "request_id"]
    readonly_fields = [f.name for f in ActionLog._meta.fields]

    def has_add_permission(self, request):
        return False  # a record of what happened: nobody writes or removes it by hand

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(PollState)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "campaign_id",
        "name",
        "dialer",
        "active",
        "records_count",
        "completion_percent",
    ]
    list_filter = ["active", "dialer", "gone"]
    search_fields = ["campaign_id", "name"]


@admin.register(CampaignDay)
class CampaignDayAdmin(admin.ModelAdmin):
    list_display = ["day", "campaign_id", "attempts", "connected", "drops", "talk_seconds"]
    list_filter = ["day"]
