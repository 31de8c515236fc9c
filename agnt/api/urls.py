from django.urls import path

from agnt.api import drf

urlpatterns = [
    path("auth/token", drf.TokenObtainView.as_view(), name="api-token"),
    path("auth/refresh", drf.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", drf.LogoutView.as_view(), name="api-logout"),
    path("me", drf.MeView.as_view(), name="api-me"),
]
