from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        worker_process_init.connect(warm_date_parser, weak=False, dispatch_uid="messaging.warm_date_parser")
        from agnt.llm import gateway
        from messaging import concierge

        # The concierge's offline planner, system prompt and tools, for the shared gateway.
        gateway.configure(
            offline_provider=concierge.offline_provider,
            system_prompt=concierge.system_prompt,
            tool_registry=concierge.tool_registry,
        )
        from messaging.hosted_tools import register as register_hosted_tools

        register_hosted_tools()
        from agents.signals import booking_awaits_owner, booking_request_undeliverable
        from billing.signals import price_watch_triggered
        from bookings.signals import booking_message_due, booking_moved, booking_status_changed, waitlist_offer_made
        from crm.signals import deal_went_stale
        from messaging.notifications import (
            on_booking_awaits_owner,
            on_booking_message_due,
            on_booking_moved,
            on_booking_request_undeliverable,
            on_booking_status_changed,
            on_deal_went_stale,
            on_price_watch_triggered,
            on_waitlist_offer_made,
        )

        booking_status_changed.connect(on_booking_status_changed, dispatch_uid="messaging.booking_status")
        booking_moved.connect(on_booking_moved, dispatch_uid="messaging.booking_moved")
        booking_message_due.connect(on_booking_message_due, dispatch_uid="messaging.booking_message_due")
        waitlist_offer_made.connect(on_waitlist_offer_made, dispatch_uid="messaging.waitlist_offer_made")
        booking_awaits_owner.connect(on_booking_awaits_owner, dispatch_uid="messaging.booking_awaits_owner")
        booking_request_undeliverable.connect(
            on_booking_request_undeliverable, dispatch_uid="messaging.booking_request_undeliverable"
        )
        price_watch_triggered.connect(on_price_watch_triggered, dispatch_uid="messaging.price_drop")
        deal_went_stale.connect(on_deal_went_stale, dispatch_uid="messaging.crm_stale_deal")

        from agnt.signals import broker_connected

        broker_connected.connect(_catch_up_on_broker_connect, dispatch_uid="messaging.pipeline_catch_up")


def _catch_up_on_broker_connect(**_) -> None:
    from messaging.services import pipeline_catch_up

    pipeline_catch_up()


def warm_date_parser(**kwargs) -> None:
    """Import dateparser and load its languages in each Celery worker process before the
    first message (the concierge's planner reads dates with it; cold, the first parse
    costs a few hundred milliseconds)."""
    import threading

    def load():
        from venues.dateparse import warm_up

        warm_up()

    threading.Thread(target=load, name="dateparser-warmup", daemon=True).start()
