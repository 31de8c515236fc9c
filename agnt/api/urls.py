from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agnt.api import drf
from messaging.api.drf import ChatView

urlpatterns = [
    path("auth/token", drf.TokenObtainView.as_view(), name="api-token"),
    path("auth/refresh", drf.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", drf.LogoutView.as_view(), name="api-logout"),
    path("me", drf.MeView.as_view(), name="api-me"),
    path("chat", ChatView.as_view(), name="api-chat"),
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]), name="api-docs"),
]
