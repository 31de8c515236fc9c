from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agnt.api import drf
from billing.api import drf as billing_drf
from messaging.api.drf import ChatView

urlpatterns = [
    path("auth/token", drf.TokenObtainView.as_view(), name="api-token"),
    path("auth/refresh", drf.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", drf.LogoutView.as_view(), name="api-logout"),
    path("me", drf.MeView.as_view(), name="api-me"),
    path("chat", ChatView.as_view(), name="api-chat"),
    # billing: the caller's plan, Stripe Checkout and the customer portal
    path("billing", billing_drf.BillingStatusView.as_view(), name="api-billing"),
    path("billing/checkout", billing_drf.CheckoutView.as_view(), name="api-billing-checkout"),
    path("billing/portal", billing_drf.PortalView.as_view(), name="api-billing-portal"),
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]), name="api-docs"),
]
