from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing.receivers import on_booking_status_changed
        from bookings.signals import booking_status_changed

        booking_status_changed.connect(on_booking_status_changed, dispatch_uid="billing.booking_fee")
