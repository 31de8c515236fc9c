"""Billing pages outside the admin: the printable document."""

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("documents/<uuid:pk>/print", views.document_print, name="document_print"),
]
