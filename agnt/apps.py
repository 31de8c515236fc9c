from django.apps import AppConfig


class AgntConfig(AppConfig):
    name = "agnt"
    verbose_name = "AGNT core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from agnt import metrics, scheduling
        from agnt.api import schema  # noqa: F401 - registers the OpenAPI auth extension

        metrics.connect_task_signals()
        post_migrate.connect(scheduling.sync_on_migrate, sender=self)
