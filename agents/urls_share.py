"""Public shareable-card pages, mounted at /c/ (agnt/urls.py)."""

from django.urls import path

from agents import share_views

urlpatterns = [
    path("<str:token>", share_views.card_page, name="share-card"),
    path("<str:token>/og.png", share_views.card_og_image, name="share-card-og"),
    path("<str:token>/answer", share_views.card_answer, name="share-card-answer"),
]
