"""Shopping side-revenue: standing price watches on marketplace products and affiliate clicks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agnt.db import BaseModel, TimestampedModel, choices_check
from billing.state import PriceWatchStatus


class Marketplace(models.TextChoices):
    SHOPEE = "shopee", "Shopee"
    TOKOPEDIA = "tokopedia", "Tokopedia"
    LAZADA = "lazada", "Lazada"


class NotifyChannel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    PUSH = "push", "Web push"
    EMAIL = "email", "E-mail"


class PriceWatcher(TimestampedModel):
    """A user's standing request: tell me when this Shopee/Tokopedia/Lazada product drops to my price.

    The price_watch_check job reads active watches by ``last_checked_at`` and moves a watch
    to ``triggered`` once ``last_price`` ≤ ``target_price``.
    """

    Status = PriceWatchStatus

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="price_watchers")
    marketplace = models.CharField(max_length=12, choices=Marketplace.choices)
    product_url = models.URLField(max_length=1000)
    product_id = models.CharField(max_length=64, blank=True, help_text="The marketplace's item id, when known.")
    product_title = models.CharField(max_length=300, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    target_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="IDR")
    last_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lowest_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    check_failures = models.PositiveSmallIntegerField(default=0, help_text="Consecutive failed price fetches.")
    status = models.CharField(max_length=10, choices=PriceWatchStatus.choices, default=PriceWatchStatus.ACTIVE)
    notify_channel = models.CharField(max_length=10, choices=NotifyChannel.choices, default=NotifyChannel.TELEGRAM)
    triggered_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("marketplace", Marketplace, name="price_watcher_marketplace_valid"),
            choices_check("status", PriceWatchStatus, name="price_watcher_status_valid"),
            choices_check("notify_channel", NotifyChannel, name="price_watcher_notify_channel_valid"),
            models.CheckConstraint(condition=Q(target_price__gt=0), name="price_watcher_target_positive"),
            # one live watch per user and product; expired/triggered ones are history
            models.UniqueConstraint(
                fields=["user", "product_url"],
                name="price_watcher_one_live_per_product",
                condition=Q(status__in=[PriceWatchStatus.ACTIVE, PriceWatchStatus.PAUSED]),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "last_checked_at"], name="price_watcher_due"),
            models.Index(fields=["user", "status"], name="price_watcher_user_status"),
        ]

    def __str__(self) -> str:
        return f"{self.product_title or self.product_url[:60]} ≤ {self.target_price} {self.currency}"


class AffiliatePartner(models.TextChoices):
    SHOPEE = "shopee", "Shopee"
    TOKOPEDIA = "tokopedia", "Tokopedia"
    LAZADA = "lazada", "Lazada"
    KLOOK = "klook", "Klook"
    TRAVELOKA = "traveloka", "Traveloka"
    GRAB = "grab", "Grab"
    OTHER = "other", "Other"


class AffiliateClick(BaseModel):
    """One click-through on an affiliate link we served, and the commission if it converted.

    The visitor's IP is stored only as a salted hash (enough to dedupe, not to identify).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="affiliate_clicks"
    )
    venue = models.ForeignKey(
        "venues.Venue", null=True, blank=True, on_delete=models.SET_NULL, related_name="affiliate_clicks"
    )
    price_watcher = models.ForeignKey(
        PriceWatcher,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clicks",
        help_text="Set when the click came from a price-watch alert.",
    )
    partner = models.CharField(max_length=12, choices=AffiliatePartner.choices)
    url = models.URLField(max_length=1000)
    campaign = models.CharField(max_length=80, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    clicked_at = models.DateTimeField(db_default=Now())
    converted_at = models.DateTimeField(null=True, blank=True)
    order_ref = models.CharField(max_length=80, blank=True, help_text="The partner's order/conversion id.")
    commission = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    commission_currency = models.CharField(max_length=3, default="IDR")

    class Meta(BaseModel.Meta):
        ordering = ["-clicked_at"]
        constraints = [
            choices_check("partner", AffiliatePartner, name="affiliate_click_partner_valid"),
            models.CheckConstraint(
                condition=Q(commission__isnull=True) | Q(converted_at__isnull=False),
                name="affiliate_click_commission_needs_conversion",
            ),
            models.CheckConstraint(
                condition=Q(commission__isnull=True) | Q(commission__gte=0),
                name="affiliate_click_commission_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "clicked_at"], name="affiliate_partner_time"),
            models.Index(fields=["campaign", "clicked_at"], name="affiliate_campaign_time"),
            models.Index(fields=["venue", "clicked_at"], name="affiliate_venue_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_partner_display()} · {self.clicked_at:%Y-%m-%d %H:%M}" if self.clicked_at else self.partner


class PricePoint(BaseModel):
    """One price a watched product had when price_watch_check looked.

    Append-only history: a trigger (billing/migrations/0008) refuses UPDATE and DELETE.
    """

    watcher = models.ForeignKey(PriceWatcher, on_delete=models.PROTECT, related_name="price_points")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="IDR")
    checked_at = models.DateTimeField()

    class Meta(BaseModel.Meta):
        ordering = ["-checked_at"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="price_point_non_negative")]
        indexes = [models.Index(fields=["watcher", "checked_at"], name="price_point_watcher_time")]

    def __str__(self) -> str:
        return f"{self.currency} {self.price:,.0f} @ {self.checked_at:%Y-%m-%d %H:%M}"


class AffiliateClickDaily(BaseModel):
    """Clicks of one day on one partner's links (and one venue's, for venue links), kept by analytics_rollup."""

    day = models.DateField()
    partner = models.CharField(max_length=12, choices=AffiliatePartner.choices)
    venue = models.ForeignKey(
        "venues.Venue", null=True, blank=True, on_delete=models.CASCADE, related_name="affiliate_click_days"
    )
    clicks = models.PositiveIntegerField(default=0)
    unique_users = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    commission = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta(BaseModel.Meta):
        ordering = ["-day", "partner"]
        verbose_name = "affiliate clicks per day"
        verbose_name_plural = "affiliate clicks per day"
        constraints = [
            choices_check("partner", AffiliatePartner, name="affiliate_daily_partner_valid"),
            models.UniqueConstraint(
                fields=["day", "partner", "venue"], name="affiliate_daily_unique", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} · {self.get_partner_display()} · {self.clicks}"
