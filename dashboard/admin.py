"""Queues are learned from the webhook feed; here they get names and service-level settings."""

from django.contrib import admin

from crm_bridge.queue_events import recount_queue

from .models import Profile, Queue, QueueCall, Threshold, Wallboard


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "kind",
        "name",
        "sl_threshold_seconds",
        "sl_target_percent",
        "hidden",
        "first_seen",
    )
    list_display_links = ("number",)
    list_editable = ("name", "sl_threshold_seconds", "sl_target_percent", "hidden")
    list_filter = ("kind", "hidden")
    search_fields = ("name", "number")
    filter_horizontal = ("agent_groups",)
    readonly_fields = ("kind", "number", "first_seen")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "sl_threshold_seconds" in form.changed_data:
            recount_queue(obj.pk)  # the service level of the calls kept, by the new threshold


@admin.register(QueueCall)
class QueueCallAdmin(admin.ModelAdmin):
    """Read-only: rows are folded from the webhook feed (manage.py queue_rebuild redoes them)."""

    list_display = ("contact_id", "kind", "queue", "outcome", "entered_at", "wait_seconds")
    list_filter = ("kind", "outcome", "queue")
    search_fields = ("contact_id", "agent_login")
    date_hierarchy = "entered_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Wallboard)
class WallboardAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "language", "theme", "revoked_at")
    filter_horizontal = ("queues", "agent_groups")
    readonly_fields = ("token",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """A user's own settings (the UI language they chose in the top bar)."""

    list_display = ("user", "language")
    list_filter = ("language",)
    search_fields = ("user__username",)


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    """When an agent row or a queue tile turns amber or red (board and wallboards alike)."""

    list_display = ("__str__", "metric", "pause_reason", "queue", "amber", "red", "unit")
    list_editable = ("amber", "red")
    list_filter = ("metric",)
