from django.contrib import admin
from django.urls import include, path

from agents.api import ninja as network_api
from agents.api import oauth
from agents.hosted.demo_views import demo_page as hosted_demo_page
from agnt import views
from billing.views import affiliate_redirect
from billing.webhooks import stripe_webhook
from messaging.views import chat_page
from owners import urls as owner_urls

urlpatterns = [
    path("", views.home, name="home"),  # owners and guests: /for-venues/; staff: the back office
    path("for-venues/", include("owners.urls")),
    path("venue/", include(owner_urls.console_patterns)),  # the owner console
    path("admin/", admin.site.urls),
    path("health", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("api/", include("agnt.api.urls")),
    path("webhooks/stripe", stripe_webhook, name="stripe-webhook"),  # billing: Stripe events in
    path("webhooks/", include("messaging.urls")),
    path("chat/", chat_page, name="chat"),
    path("gateway/", include("agents.network.urls_gateway")),
    path("bookings/", include("bookings.urls")),
    # billing: the printable invoice / receipt / credit note
    path("billing/", include("billing.urls")),
    # billing: tracked outbound links (affiliate clicks), signed
    path("go/<str:token>", affiliate_redirect, name="affiliate-redirect"),
    path("", include("agents.network.urls_cards")),
    path("c/", include("agents.urls_share")),  # public shareable cards (agents.sharing)
    path("demos/<slug:slug>", hosted_demo_page, name="hosted-demo"),  # hosted agents' demo pages
    # External agent API (django-ninja, API keys); docs at /a2a/v1/docs
    path("a2a/v1/", network_api.urls),
    # OAuth 2.1 for MCP clients (agents/api/oauth.py): discovery, registration, consent, tokens
    path("oauth/", include((oauth.urlpatterns, "oauth2_provider"))),
    path("", include(oauth.well_known_urlpatterns)),
]
