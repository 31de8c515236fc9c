from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agnt.signals import analytics_rollup_requested
        from billing.receivers import on_analytics_rollup, on_booking_status_changed
        from bookings.signals import booking_status_changed

        booking_status_changed.connect(on_booking_status_changed, dispatch_uid="billing.booking_fee")
        analytics_rollup_requested.connect(on_analytics_rollup, dispatch_uid="billing.affiliate_rollup")
