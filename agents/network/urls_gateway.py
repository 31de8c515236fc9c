"""The built-in gateway's routes (mounted at /gateway/ by agnt/urls.py)."""

from django.urls import path

from agents.network import gateway_views

app_name = "gateway"

urlpatterns = [
    path("api/health", gateway_views.health, name="health"),
    path("api/agents/message", gateway_views.message_send, name="message"),
    path("api/agents/<str:agent_id>/queue/drain", gateway_views.queue_drain, name="drain"),
]
