"""A2A discovery URLs, mounted at the site root (agnt/urls.py)."""

from django.urls import path

from agents.hosted.a2a import card_view as hosted_card_view
from agents.network import card_views

urlpatterns = [
    path(
        "agents/hosted/<str:friendly_name>/.well-known/agent-card.json",
        hosted_card_view,
        name="agent-card-hosted",
    ),
    path(".well-known/agent-card.json", card_views.platform_card, name="agent-card-platform"),
    path("agents/<str:slug>/.well-known/agent-card.json", card_views.venue_card, name="agent-card-venue"),
]
