from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agents.api import drf as agents_api
from agnt.api import drf
from billing.api import drf as billing_api
from bookings.api import drf as bookings_api
from knowledge.api import drf as knowledge_api
from messaging.api import drf as messaging_api
from messaging.api.drf import ChatView
from venues.api import drf as venues_api

urlpatterns = [
    path("auth/token", drf.TokenObtainView.as_view(), name="api-token"),
    path("auth/refresh", drf.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", drf.LogoutView.as_view(), name="api-logout"),
    path("me", drf.MeView.as_view(), name="api-me"),
    path("push/vapid-public-key", drf.VapidPublicKeyView.as_view(), name="api-push-vapid-key"),
    path("push/subscriptions", drf.PushSubscriptionView.as_view(), name="api-push-subscriptions"),
    path("chat", ChatView.as_view(), name="api-chat"),
    # --- the consumer app's own data (each view filters by the bearer token's user) ---
    path("channels", messaging_api.ChannelListView.as_view(), name="api-channels"),
    path("channels/<uuid:pk>", messaging_api.ChannelDetailView.as_view(), name="api-channel"),
    path("memories", knowledge_api.MemoryListView.as_view(), name="api-memories"),
    path("memories/<uuid:pk>", knowledge_api.MemoryDetailView.as_view(), name="api-memory"),
    path("lists", venues_api.UserListListView.as_view(), name="api-lists"),
    path("lists/<uuid:pk>", venues_api.UserListDetailView.as_view(), name="api-list"),
    path("lists/<uuid:pk>/venues", venues_api.UserListVenuesView.as_view(), name="api-list-venues"),
    path(
        "lists/<uuid:pk>/venues/<slug:venue_slug>", venues_api.UserListVenueDetailView.as_view(), name="api-list-venue"
    ),
    path("bookings", bookings_api.BookingListView.as_view(), name="api-bookings"),
    path("bookings/<str:ref>", bookings_api.BookingDetailView.as_view(), name="api-booking"),
    path("bookings/<str:ref>/cancel", bookings_api.BookingCancelView.as_view(), name="api-booking-cancel"),
    path("credits", billing_api.CreditBalanceView.as_view(), name="api-credits"),
    path("credits/transactions", billing_api.CreditTransactionListView.as_view(), name="api-credit-transactions"),
    path("api-keys", agents_api.ApiKeyListView.as_view(), name="api-api-keys"),
    path("api-keys/<uuid:pk>/revoke", agents_api.ApiKeyRevokeView.as_view(), name="api-api-key-revoke"),
    path("cards", agents_api.CardListView.as_view(), name="api-cards"),
    path("cards/<str:token>", agents_api.CardDetailView.as_view(), name="api-card"),
    path("knowledge/search", knowledge_api.KnowledgeSearchView.as_view(), name="api-knowledge-search"),
    # billing: the caller's plan, Stripe Checkout and the customer portal
    path("billing", billing_api.BillingStatusView.as_view(), name="api-billing"),
    path("billing/checkout", billing_api.CheckoutView.as_view(), name="api-billing-checkout"),
    path("billing/portal", billing_api.PortalView.as_view(), name="api-billing-portal"),
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    # the split view serves its start-up script from a URL: the page runs under the CSP without inline script
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[]), name="api-docs"),
]
