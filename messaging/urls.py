"""Provider webhooks, mounted at /webhooks/ by agnt/urls.py (a trailing slash is tolerated)."""

from django.urls import re_path

from messaging import webhooks

app_name = "webhooks"

urlpatterns = [
    re_path(r"^telegram/?$", webhooks.telegram_webhook, name="telegram"),
    re_path(r"^whatsapp/?$", webhooks.whatsapp_webhook, name="whatsapp"),
    re_path(r"^instagram/?$", webhooks.instagram_webhook, name="instagram"),
]
