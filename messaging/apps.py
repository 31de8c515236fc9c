from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agnt.llm import gateway
        from messaging import concierge

        # The concierge's offline planner, system prompt and tools, for the shared gateway.
        gateway.configure(
            offline_provider=concierge.offline_provider,
            system_prompt=concierge.system_prompt,
            tool_registry=concierge.tool_registry,
        )
        from bookings.signals import booking_status_changed
        from messaging.notifications import on_booking_status_changed

        booking_status_changed.connect(on_booking_status_changed, dispatch_uid="messaging.booking_status")
