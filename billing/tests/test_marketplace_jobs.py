"""price_watch_check, affiliate links (/go/), and the daily rollups of clicks and API usage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from model_bakery import baker

from agnt import tasks as agnt_tasks
from billing import affiliate, tasks
from billing.models import (
    AffiliateClick,
    AffiliateClickDaily,
    ApiKeyUsageDaily,
    ApiKeyUsageEvent,
    PricePoint,
    PriceWatcher,
)
from billing.services.marketplace import price_watch_start
from billing.tests.fake_marketplace import fake_marketplace  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
SANDALS = "https://www.tokopedia.com/kakinusa/two-strap-cork-footbed-sandals-buckle-black"
BOTTLE = "https://shopee.co.id/hydro-flask-32-oz-wide-mouth-water-bottle-stainless-i.1401.14019"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def _watch(user, url, target, **kwargs):
    return price_watch_start(user=user, product_url=url, target_price=Decimal(target), **kwargs)


def test_the_check_records_prices_triggers_at_the_target_and_skips_recently_checked_watches(user, fake_marketplace):
    with time_machine.travel(NOW, tick=False):
        watcher = _watch(user, SANDALS, 150000)
        assert tasks.price_watch_check() == {"expired": 0, "checked": 0, "triggered": 0, "failed": 0}  # just checked
    fake_marketplace.set_price("TP-2201", 149000)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.price_watch_check() == {"expired": 0, "checked": 1, "triggered": 1, "failed": 0}
    watcher.refresh_from_db()
    assert watcher.status == "triggered" and watcher.lowest_price == Decimal("149000")
    assert watcher.triggered_at == NOW + timedelta(hours=1)
    assert PricePoint.objects.filter(watcher=watcher).count() == 2


def test_old_watches_expire_and_unreachable_products_count_failures_then_expire(user, fake_marketplace, settings):
    with time_machine.travel(NOW, tick=False):
        old = _watch(user, BOTTLE, 500000)
        gone = _watch(user, SANDALS, 100000)
    PriceWatcher.objects.filter(pk=old.pk).update(expires_at=NOW + timedelta(days=1))
    fake_marketplace.products.remove(fake_marketplace.product("TP-2201"))  # delisted
    for hours in (2, 4, 6):
        with time_machine.travel(NOW + timedelta(hours=hours), tick=False):
            counts = tasks.price_watch_check()
        assert counts["failed"] == 1
    gone.refresh_from_db()
    assert gone.status == "expired" and gone.check_failures == 3
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        assert tasks.price_watch_check()["expired"] == 1
    old.refresh_from_db()
    assert old.status == "expired"
    assert settings.PRICE_WATCH_DAYS == 90  # the default lifetime the watches above were given


def test_a_marketplace_outage_loses_no_watch(user, fake_marketplace):
    with time_machine.travel(NOW, tick=False):
        watcher = _watch(user, BOTTLE, 500000)
    fake_marketplace.script(503, {"error": {"message": "down"}}, path_contains="/lookup")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.price_watch_check()["failed"] == 1
    watcher.refresh_from_db()
    assert watcher.status == "active" and watcher.check_failures == 1
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert tasks.price_watch_check()["checked"] == 1
    watcher.refresh_from_db()
    assert watcher.check_failures == 0


# --------------------------------------------------------------------------- /go/ links


def test_a_tracked_link_records_one_click_per_user_and_hour_and_adds_the_affiliate_parameters(client, user, settings):
    settings.AFFILIATE_PARAMS = dict(settings.AFFILIATE_PARAMS, shopee="af_siteid=agnt123&utm_source=agnt")
    link = affiliate.tracked_link(BOTTLE + "?sp_atk=abc", user_id=user.pk, campaign="dupe")
    path = link[link.index("/go/") :]
    with time_machine.travel(NOW, tick=False):
        first = client.get(path, HTTP_USER_AGENT=BROWSER)
        client.get(path, HTTP_USER_AGENT=BROWSER)  # a double tap
        client.get(path, HTTP_USER_AGENT="TelegramBot (like TwitterBot)")  # the link preview
        client.get(path)  # no User-Agent
    assert first.status_code == 302
    assert first["Location"] == BOTTLE + "?sp_atk=abc&af_siteid=agnt123&utm_source=agnt"
    click = AffiliateClick.objects.get()
    assert (click.partner, click.user_id, click.campaign) == ("shopee", user.pk, "dupe")
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        client.get(path, HTTP_USER_AGENT=BROWSER)
    assert AffiliateClick.objects.count() == 2


def test_a_forged_or_expired_link_gets_a_400_page_and_no_redirect(client, user, settings):
    with time_machine.travel(NOW, tick=False):
        link = affiliate.tracked_link(BOTTLE, user_id=user.pk)
    path = link[link.index("/go/") :]
    forged = client.get(path[:-3] + "xyz", HTTP_USER_AGENT=BROWSER)
    assert forged.status_code == 400 and b"not valid" in forged.content and "Location" not in forged
    assert client.get("/go/garbage", HTTP_USER_AGENT=BROWSER).status_code == 400
    with time_machine.travel(NOW + timedelta(days=settings.AFFILIATE_LINK_MAX_AGE_DAYS + 1), tick=False):
        expired = client.get(path, HTTP_USER_AGENT=BROWSER)
    assert expired.status_code == 400 and b"expired" in expired.content
    assert not AffiliateClick.objects.exists()


def test_clicks_roll_up_per_day_marketplace_and_venue_in_the_analytics_job(client, user, venue):
    with time_machine.travel(NOW, tick=False):
        for url in (BOTTLE, SANDALS):
            client.get(affiliate.tracked_link(url, user_id=user.pk).split("agnt.local")[-1], HTTP_USER_AGENT=BROWSER)
        site = affiliate.tracked_link("https://warungbiru.example/menu", venue_id=venue.pk)
        client.get(site[site.index("/go/") :], HTTP_USER_AGENT=BROWSER)
        client.get(site[site.index("/go/") :], HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.9")
        agnt_tasks.analytics_rollup()
        agnt_tasks.analytics_rollup()  # re-running recomputes, never double counts
    rows = {
        (row.partner, row.venue_id): (row.day, row.clicks, row.unique_users)
        for row in AffiliateClickDaily.objects.all()
    }
    assert rows == {
        ("shopee", None): (date(2026, 5, 4), 1, 1),
        ("tokopedia", None): (date(2026, 5, 4), 1, 1),
        ("other", venue.pk): (date(2026, 5, 4), 2, 0),
    }


def test_the_admin_shows_clicks_per_marketplace_and_venue(staff_client, venue):
    baker.make(AffiliateClickDaily, day=date(2026, 5, 4), partner="shopee", clicks=7)
    baker.make(AffiliateClickDaily, day=date(2026, 5, 4), partner="other", venue=venue, clicks=3)
    page = staff_client.get("/admin/billing/affiliateclickdaily/")
    assert page.status_code == 200
    assert b"Shopee" in page.content and venue.name.encode() in page.content
    assert staff_client.get("/admin/billing/affiliateclickdaily/?partner__exact=shopee").status_code == 200


# --------------------------------------------------------------------------- API usage rollup


def test_api_key_usage_rolls_up_into_daily_totals_per_key_and_intent(staff_client):
    key, other = baker.make("agents.ApiKey"), baker.make("agents.ApiKey")
    for n, (api_key, intent, at) in enumerate(
        [
            (key, "booking.confirm", NOW - timedelta(hours=1)),
            (key, "booking.confirm", NOW - timedelta(minutes=5)),
            (key, "booking.search", NOW - timedelta(minutes=5)),
            (other, "booking.confirm", NOW - timedelta(days=1)),
            (other, "booking.confirm", NOW - timedelta(days=5)),  # outside the window
        ]
    ):
        ApiKeyUsageEvent.objects.create(
            api_key=api_key, intent=intent, request_id=f"r{n}", quantity=2, unit_price_cents=25, occurred_at=at
        )
    with time_machine.travel(NOW, tick=False):
        assert tasks.api_key_usage_rollup() == 3
        ApiKeyUsageEvent.objects.create(api_key=key, intent="booking.search", request_id="late", occurred_at=NOW)
        assert tasks.api_key_usage_rollup() == 3
    rows = {
        (row.api_key_id, row.intent, row.day): (row.events, row.quantity, row.amount_cents)
        for row in ApiKeyUsageDaily.objects.all()
    }
    assert rows == {
        (key.pk, "booking.confirm", date(2026, 5, 4)): (2, 4, 100),
        (key.pk, "booking.search", date(2026, 5, 4)): (2, 3, 50),
        (other.pk, "booking.confirm", date(2026, 5, 3)): (1, 2, 50),
    }
    page = staff_client.get("/admin/billing/apikeyusagedaily/")
    assert page.status_code == 200 and b"booking.search" in page.content
