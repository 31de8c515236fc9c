from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "venues"
    verbose_name = "Venues"
    default_auto_field = "django.db.models.BigAutoField"
