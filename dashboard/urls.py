from django.urls import path

from .views import agents

urlpatterns = [
    path("", agents.board, name="board"),
    path("agents/<str:login>/<str:action>/form/", agents.action_form, name="agent-action-form"),
    path("agents/<str:login>/<str:action>/", agents.agent_action, name="agent-action"),
]
