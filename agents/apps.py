from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents & API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agents.platform.webhook_jobs import on_booking_status_changed, on_booking_status_changed_a2a
        from bookings.signals import booking_status_changed

        booking_status_changed.connect(on_booking_status_changed, dispatch_uid="agents.webhook_booking_status")
        booking_status_changed.connect(on_booking_status_changed_a2a, dispatch_uid="agents.a2a_task_booking")

        from agents.hosted.signals import run_status_changed
        from agents.platform.a2a_tasks import on_run_status_changed

        run_status_changed.connect(on_run_status_changed, dispatch_uid="agents.a2a_task_run")

        from agents.receivers import on_plan_synced
        from billing.signals import plan_synced

        plan_synced.connect(on_plan_synced, dispatch_uid="agents.api_key_tier")
