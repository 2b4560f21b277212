from django.urls import path

from . import language
from .views import (
    action_log,
    agents,
    campaign_admin,
    campaign_agents,
    campaigns,
    customers,
    intraday,
    reports,
    wallboards,
)
from .views import alerts as alert_views

urlpatterns = [
    path("", agents.board, name="board"),
    path("language/", language.set_language, name="set-language"),
    path("reports/work/", reports.work_report, name="work-report"),
    path("actions/", action_log.action_log, name="action-log"),
    path("intraday/", intraday.intraday_page, name="intraday"),
    path("wallboard/<str:token>/", wallboards.wallboard, name="wallboard"),
    path(
        "wallboard/<str:token>/intraday/",
        wallboards.wallboard_intraday,
        name="wallboard-intraday",
    ),
    path("wallboards/", wallboards.wallboard_list, name="wallboards"),
    path("wallboards/new/", wallboards.wallboard_create, name="wallboard-create"),
    path("wallboards/<int:pk>/edit/", wallboards.wallboard_edit, name="wallboard-edit"),
    path("wallboards/<int:pk>/revoke/", wallboards.wallboard_revoke, name="wallboard-revoke"),
    path("wallboards/<int:pk>/new-link/", wallboards.wallboard_new_link, name="wallboard-new-link"),
    path("alerts/<str:login>/acknowledge/", alert_views.acknowledge, name="alert-acknowledge"),
    path("customers/search/", customers.customer_search, name="customer-search"),
    path("customers/campaigns/", customers.number_campaigns, name="number-campaigns"),
    path("agents/<str:login>/today/", agents.agent_today, name="agent-today"),
    path("agents/<str:login>/<str:action>/form/", agents.action_form, name="agent-action-form"),
    path("agents/<str:login>/<str:action>/", agents.agent_action, name="agent-action"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_admin.campaign_create, name="campaign-create"),
    path("campaigns/delete/", campaign_admin.campaign_delete, name="campaign-delete"),
    path("campaigns/<str:campaign_id>/", campaigns.campaign_detail, name="campaign-detail"),
    path(
        "campaigns/<str:campaign_id>/records/",
        campaigns.campaign_records,
        name="campaign-records",
    ),
    path("campaigns/<str:campaign_id>/edit/", campaign_admin.campaign_edit, name="campaign-edit"),
    path(
        "campaigns/<str:campaign_id>/clone/", campaign_admin.campaign_clone, name="campaign-clone"
    ),
    path(
        "campaigns/<str:campaign_id>/agents/preview/",
        campaign_agents.agents_preview,
        name="campaign-agents-preview",
    ),
    path(
        "campaigns/<str:campaign_id>/agents/",
        campaign_agents.agents_apply,
        name="campaign-agents",
    ),
]
