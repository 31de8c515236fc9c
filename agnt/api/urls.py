from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agnt.api import drf
from knowledge.api import drf as knowledge_drf
from messaging.api.drf import ChatView

urlpatterns = [
    path("auth/token", drf.TokenObtainView.as_view(), name="api-token"),
    path("auth/refresh", drf.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", drf.LogoutView.as_view(), name="api-logout"),
    path("me", drf.MeView.as_view(), name="api-me"),
    path("chat", ChatView.as_view(), name="api-chat"),
    # knowledge (issue 7): cited venue knowledge, and what the concierge remembers about you
    path("knowledge/search", knowledge_drf.KnowledgeSearchView.as_view(), name="api-knowledge-search"),
    path("memories", knowledge_drf.MemoryListView.as_view(), name="api-memories"),
    path("memories/<uuid:memory_id>", knowledge_drf.MemoryDetailView.as_view(), name="api-memory"),
    path("schema", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]), name="api-docs"),
]
