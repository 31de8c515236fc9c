"""Referrals (reward paid once, through the credit ledger) and marketplace price watches."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from billing import services
from billing.models import AffiliateClick, CreditTransaction, PricePoint, Referral
from billing.services import InvalidTransition, ReferralError


@pytest.fixture
def referrer(db) -> User:
    return baker.make(User, username="ref", referral_code="BALI2026")


@pytest.mark.django_db
def test_a_referral_reward_credits_the_referrer_once(referrer, user):
    referral = services.referral_create(referred=user, code=" bali2026 ", reward_credits=40)
    assert (referral.referrer, referral.status, referral.code) == (referrer, "pending", "BALI2026")
    rewarded = services.referral_reward(referral=referral)
    again = services.referral_reward(referral=referral)
    referrer.refresh_from_db()
    assert rewarded.status == "rewarded" and again.reward_transaction_id == rewarded.reward_transaction_id
    assert referrer.credits == 40
    entry = CreditTransaction.objects.get(user=referrer)
    assert (entry.kind, entry.reference_type, entry.reference_id) == (
        "referral_reward",
        "billing.referral",
        str(referral.pk),
    )


@pytest.mark.django_db
def test_it_refuses_self_referrals_unknown_codes_and_second_referrals(referrer, user):
    with pytest.raises(ReferralError, match="themselves"):
        services.referral_create(referred=referrer, code="BALI2026")
    with pytest.raises(ReferralError, match="unknown"):
        services.referral_create(referred=user, code="NOPE")
    services.referral_create(referred=user, code="BALI2026")
    with pytest.raises(ReferralError, match="already"):
        services.referral_create(referred=user, code="BALI2026")


@pytest.mark.django_db
def test_a_cancelled_referral_is_never_rewarded(referrer, user):
    referral = services.referral_cancel(referral=services.referral_create(referred=user, code="BALI2026"))
    with pytest.raises(InvalidTransition):
        services.referral_reward(referral=referral)
    referrer.refresh_from_db()
    assert referrer.credits == 0


@pytest.mark.django_db
def test_pending_referrals_past_their_window_expire(referrer, user):
    referral = services.referral_create(referred=user, code="BALI2026")
    fresh = services.referral_create(referred=baker.make(User), code="BALI2026")
    later = timezone.now() + dt.timedelta(days=31)
    Referral.objects.filter(pk=fresh.pk).update(expires_at=later + dt.timedelta(days=1))
    assert services.referral_expire_due(now=later) == 1
    referral.refresh_from_db()
    assert referral.status == "expired"
    with pytest.raises(ReferralError, match="window"):
        services.referral_qualify(referral=fresh, now=later + dt.timedelta(days=2))


@pytest.mark.django_db
def test_a_price_watch_triggers_when_the_price_reaches_the_target(user):
    watcher = services.price_watcher_create(
        user=user,
        marketplace="shopee",
        product_url="https://shopee.co.id/p/1",
        target_price=Decimal("150000"),
        product_title="Rattan bag",
    )
    watcher = services.price_watcher_record_price(watcher=watcher, price=Decimal("180000"))
    assert (watcher.status, watcher.lowest_price) == ("active", Decimal("180000"))
    watcher = services.price_watcher_record_price(watcher=watcher, price=Decimal("149000"))
    assert watcher.status == "triggered" and watcher.triggered_at is not None
    watcher = services.price_watcher_record_price(watcher=watcher, price=Decimal("155000"))
    assert (watcher.status, watcher.lowest_price, watcher.last_price) == (
        "triggered",
        Decimal("149000"),
        Decimal("155000"),
    )


@pytest.mark.django_db
def test_a_user_has_one_live_watch_per_product_and_expired_ones_cannot_resume(user):
    watcher = services.price_watcher_create(
        user=user, marketplace="tokopedia", product_url="https://tokopedia.com/x", target_price=Decimal("10")
    )
    with pytest.raises(services.BillingError):
        services.price_watcher_create(
            user=user, marketplace="tokopedia", product_url="https://tokopedia.com/x", target_price=Decimal("9")
        )
    services.price_watcher_set_status(watcher=watcher, status="expired")
    with pytest.raises(InvalidTransition):
        services.price_watcher_set_status(watcher=watcher, status="active")
    services.price_watcher_create(
        user=user, marketplace="tokopedia", product_url="https://tokopedia.com/x", target_price=Decimal("9")
    )


@pytest.mark.django_db
def test_affiliate_clicks_store_a_keyed_ip_hash_and_the_first_conversion(user):
    click = services.affiliate_click_record(partner="klook", url="https://klook.com/a", user=user, ip="203.0.113.9")
    assert click.ip_hash and "203.0.113.9" not in click.ip_hash
    services.affiliate_click_convert(click=click, commission=Decimal("12500"), order_ref="K-1")
    services.affiliate_click_convert(click=click, commission=Decimal("99999"), order_ref="K-2")
    click = AffiliateClick.objects.get(pk=click.pk)
    assert (click.commission, click.order_ref) == (Decimal("12500.00"), "K-1")


@pytest.mark.django_db
def test_a_cancelled_referral_cannot_be_cancelled_again(referrer, user):
    referral = services.referral_cancel(referral=services.referral_create(referred=user, code="BALI2026"))
    with pytest.raises(InvalidTransition, match="a cancelled referral cannot become cancelled"):
        services.referral_cancel(referral=referral)
    referral.refresh_from_db()
    assert referral.status == "cancelled"


@pytest.mark.django_db
def test_price_history_is_append_only_in_the_database(user):
    watcher = services.price_watcher_create(
        user=user, marketplace="shopee", product_url="https://shopee.co.id/p/2", target_price=Decimal("100")
    )
    services.price_watcher_record_price(watcher=watcher, price=Decimal("120"))
    point = PricePoint.objects.get(watcher=watcher)
    with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
        PricePoint.objects.filter(pk=point.pk).update(price=Decimal("1"))
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
        PricePoint.objects.filter(pk=point.pk).delete()
    with pytest.raises(ProtectedError):
        watcher.delete()
    assert PricePoint.objects.get(pk=point.pk).price == Decimal("120")
