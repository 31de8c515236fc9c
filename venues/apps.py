from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "venues"
    verbose_name = "Venues"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from venues.models import City, Venue
        from venues.textparse import catalogue_forget

        # this process's cached catalogue goes at once; other processes see the version move
        for model in (Venue, City):
            post_save.connect(catalogue_forget, sender=model, dispatch_uid=f"catalogue_forget_save_{model.__name__}")
            post_delete.connect(
                catalogue_forget, sender=model, dispatch_uid=f"catalogue_forget_delete_{model.__name__}"
            )
