"""A2A discovery URLs, mounted at the site root (agnt/urls.py)."""

from django.urls import path

from agents.network import card_views

urlpatterns = [
    path(".well-known/agent-card.json", card_views.platform_card, name="agent-card-platform"),
    path("agents/<str:slug>/.well-known/agent-card.json", card_views.venue_card, name="agent-card-venue"),
]
