from django.contrib import admin
from django.urls import include, path

from agnt import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("api/", include("agnt.api.urls")),
]
