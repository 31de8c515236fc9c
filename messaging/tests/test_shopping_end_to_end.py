"""Shopping through Telegram, provider to provider: a price watch that fires when the marketplace
stand-in's price drops, and cheaper look-alikes with tracked links."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import pytest
import time_machine

from billing import tasks as billing_tasks
from billing.models import AffiliateClick, PricePoint, PriceWatcher
from billing.tests.fake_marketplace import fake_marketplace  # noqa: F401 - fixture
from messaging.tests.fakes import fake_telegram  # noqa: F401 - fixture
from messaging.tests.test_concierge_end_to_end import _config, _telegram  # noqa: F401 - fixture, helper

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)
SKIN_AQUA = "https://www.tokopedia.com/skinaqua/skin-aqua-uv-super-moisture-milk-spf50-pa-40ml"
RAYBAN = "https://shopee.co.id/ray-ban-wayfarer-classic-rb2140-sunglasses-black-i.1001.10019"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def _go_path(text: str) -> str:
    return urlsplit(re.search(r"https?://\S+/go/\S+", text).group(0)).path


def _set_price(fake, url: str, price: int) -> None:
    """The stand-in's admin hook, over HTTP like an operator's curl."""
    request = Request(
        f"{fake.base_url}/_admin/prices",
        data=json.dumps({"url": url, "price": price}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urlopen(request, timeout=5) as answer:  # noqa: S310 - the local stand-in
        assert answer.status == 200


def test_a_guest_sets_a_price_watch_on_telegram_and_is_told_once_when_the_price_drops(
    client, fake_telegram, fake_marketplace, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_BASE_URL = "https://agnt.example"
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            _telegram(client, 9301, f"watch the price of {SKIN_AQUA} below 60k")
        reply = fake_telegram.texts()[-1]
        assert "I'm watching Skin Aqua UV Super Moisture Milk" in reply, reply
        assert "now Rp 79.000" in reply and "Rp 60.000" in reply
        watcher = PriceWatcher.objects.get()
        assert watcher.status == "active" and watcher.notify_channel == "telegram"

    _set_price(fake_marketplace, SKIN_AQUA, 65000)  # down, not far enough
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            billing_tasks.price_watch_check()
    assert len(fake_telegram.texts()) == 1

    _set_price(fake_marketplace, SKIN_AQUA, 55000)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            billing_tasks.price_watch_check()
    alert = fake_telegram.texts()[-1]
    assert alert.startswith("📉 Price drop: Skin Aqua UV Super Moisture Milk") and "Rp 55.000" in alert, alert
    assert "https://agnt.example/go/" in alert
    watcher.refresh_from_db()
    assert watcher.status == "triggered" and watcher.notified_at is not None
    assert list(PricePoint.objects.filter(watcher=watcher).order_by("checked_at").values_list("price", flat=True)) == [
        79000,
        65000,
        55000,
    ]

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            billing_tasks.price_watch_check()  # a triggered watch is not checked or announced again
    assert len(fake_telegram.texts()) == 2

    # the link in the alert is tracked and lands on the product with the affiliate parameters
    with time_machine.travel(NOW + timedelta(hours=3, minutes=5), tick=False):
        landing = client.get(_go_path(alert), HTTP_USER_AGENT=BROWSER)
    assert landing.status_code == 302
    target = urlsplit(landing["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == SKIN_AQUA
    assert parse_qs(target.query)["utm_source"] == ["agnt"]
    click = AffiliateClick.objects.get()
    assert (click.partner, click.price_watcher_id, click.user_id, click.campaign) == (
        "tokopedia",
        watcher.pk,
        watcher.user_id,
        "price-drop",
    )


def test_a_guest_asks_for_a_cheaper_look_alike_and_gets_catalogue_items_with_tracked_links(
    client, fake_telegram, fake_marketplace, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_BASE_URL = "https://agnt.example"
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9401, f"find a cheaper look-alike of {RAYBAN}")
    reply = fake_telegram.texts()[-1]
    assert reply.startswith("Cheaper look-alikes of Ray-Ban Wayfarer Classic RB2140 Sunglasses Black (Rp 2.450.000)")
    catalogue = {p["title"]: p for p in fake_marketplace.products}
    listed = re.findall(r"^\d\. (.+?) — (Rp [\d.]+) on (\w+)$", reply, flags=re.M)
    assert len(listed) == 3, reply
    for title, price, marketplace in listed:
        product = catalogue[title]
        assert "wayfarer" in product["tags"] and product["price"] < 2450000
        assert price == "Rp " + f"{product['price']:,}".replace(",", ".")
    links = re.findall(r"https://agnt\.example/go/\S+", reply)
    assert len(links) == 3
    landing = client.get(urlsplit(links[0]).path, HTTP_USER_AGENT=BROWSER)
    assert landing.status_code == 302 and landing["Location"].startswith(catalogue[listed[0][0]]["url"])

    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9402, "find me a dupe of https://www.amazon.com/dp/B000123")
    assert "Shopee, Tokopedia and Lazada" in fake_telegram.texts()[-1]
