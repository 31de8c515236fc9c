"""Outbound webhook delivery against a real local receiver: Standard Webhooks signatures
(verified with the reference library), retries with jittered backoff, auto-disable,
the SSRF guard, replay, and booking events for API-key bookings."""

from __future__ import annotations

import base64
import random
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from agents import services
from agents.models import WebhookDelivery, WebhookSubscription
from agents.platform.webhook_jobs import webhook_delivery_retry, webhook_subscription_autodisable
from agents.services import (
    WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_RETRY_DELAYS,
    WEBHOOK_RETRY_JITTER,
    WebhookUrlRejected,
    api_key_create,
    api_key_revoke,
    webhook_delivery_attempt,
    webhook_event_publish,
    webhook_retry_delay,
    webhook_subscription_create,
    webhook_test_send,
)
from agents.tests.webhook_receiver import webhook_receiver  # noqa: F401 - fixture
from agnt.models import AnalyticsEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return baker.make("agnt.User", email="dev@partner.example")


@pytest.fixture
def api_key(owner):
    return api_key_create(owner=owner, name="partner agent")[0]


@pytest.fixture
def hook(api_key, webhook_receiver):
    subscription, secret = webhook_subscription_create(api_key=api_key, url=webhook_receiver.url())
    return subscription, secret


def _publish_and_send(api_key, event_type="booking.confirmed", data=None, **kwargs) -> WebhookDelivery:
    [delivery] = webhook_event_publish(api_key=api_key, event_type=event_type, payload=data or {"n": 1}, **kwargs)
    return webhook_delivery_attempt(delivery=delivery)


def _make_due(delivery: WebhookDelivery) -> WebhookDelivery:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    delivery.refresh_from_db()
    return delivery


def _next_attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery.objects.get(
        subscription_id=delivery.subscription_id, event_id=delivery.event_id, attempt=delivery.attempt + 1
    )


# --- signing -------------------------------------------------------------------------------


def test_a_receiver_verifies_the_delivery_with_the_standardwebhooks_library(hook, api_key, webhook_receiver):
    subscription, secret = hook

    delivery = _publish_and_send(api_key, data={"booking": {"ref": "AG-1"}})

    assert delivery.status == "succeeded" and delivery.response_status == 200
    [request] = webhook_receiver.requests
    assert request.method == "POST" and request.path == "/hooks/agnt"
    assert request.headers["webhook-id"] == delivery.event_id
    assert request.headers["content-type"] == "application/json"
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified["type"] == "booking.confirmed" and verified["data"] == {"booking": {"ref": "AG-1"}}
    assert verified["timestamp"].endswith("Z")
    # the same request under another secret is refused: the signature really depends on it
    other_secret = services.webhook_secret_generate()
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(request.body, request.headers)


def test_the_secret_is_whsec_and_standard_base64_of_32_random_bytes(hook):
    _, secret = hook
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_a_rotated_secret_signs_the_next_attempt(hook, api_key, webhook_receiver):
    subscription, old_secret = hook
    new_secret = services.webhook_subscription_rotate_secret(subscription=subscription)

    _publish_and_send(api_key)

    [request] = webhook_receiver.requests
    Webhook(new_secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(request.body, request.headers)


# --- retries and backoff -----------------------------------------------------------------------


def test_retry_delays_grow_and_their_jitter_stays_within_bounds():
    nominal = [delay.total_seconds() for delay in WEBHOOK_RETRY_DELAYS]
    assert nominal == sorted(nominal) and nominal[0] < nominal[-1]
    assert timedelta(hours=22) < sum(WEBHOOK_RETRY_DELAYS, timedelta()) <= timedelta(hours=24)
    rng = random.Random(7)
    seen = set()
    for attempt, base in enumerate(nominal, start=1):
        for _ in range(50):
            delay = webhook_retry_delay(attempt, rng=rng).total_seconds()
            assert base * (1 - WEBHOOK_RETRY_JITTER) <= delay <= base * (1 + WEBHOOK_RETRY_JITTER)
            seen.add(round(delay, 3))
    assert len(seen) > len(nominal) * 10  # jittered, not a fixed schedule


def test_a_failing_receiver_gets_every_attempt_with_the_same_id_then_the_event_dies(hook, api_key, webhook_receiver):
    subscription, secret = hook
    webhook_receiver.script(500, {"error": "down"}, times=WEBHOOK_MAX_ATTEMPTS)

    delivery = _publish_and_send(api_key)
    waits = []
    while delivery.status == "failed":
        retry = _next_attempt(delivery)
        waits.append((retry.next_attempt_at - delivery.created_at).total_seconds())
        delivery = webhook_delivery_attempt(delivery=_make_due(retry))

    assert delivery.status == "dead" and delivery.attempt == WEBHOOK_MAX_ATTEMPTS
    assert len(webhook_receiver.requests) == WEBHOOK_MAX_ATTEMPTS
    assert {request.headers["webhook-id"] for request in webhook_receiver.requests} == {delivery.event_id}
    for request in webhook_receiver.requests:  # each attempt is freshly signed and verifies
        Webhook(secret).verify(request.body, request.headers)
    for wait, nominal in zip(waits, WEBHOOK_RETRY_DELAYS, strict=True):
        assert (
            nominal.total_seconds() * (1 - WEBHOOK_RETRY_JITTER) - 5
            <= wait
            <= nominal.total_seconds() * (1 + WEBHOOK_RETRY_JITTER) + 5
        )
    rows = WebhookDelivery.objects.filter(event_id=delivery.event_id).order_by("attempt")
    assert [row.status for row in rows] == ["failed"] * (WEBHOOK_MAX_ATTEMPTS - 1) + ["dead"]
    assert all(row.response_status == 500 for row in rows)


def test_an_attempt_that_is_not_due_is_not_sent(hook, api_key, webhook_receiver):
    webhook_receiver.script(500, {}, times=1)
    first = _publish_and_send(api_key)
    retry = _next_attempt(first)

    assert webhook_delivery_attempt(delivery=retry).status == "pending"
    assert len(webhook_receiver.requests) == 1


def test_success_after_a_failure_resets_the_failure_streak(hook, api_key, webhook_receiver):
    subscription, _ = hook
    webhook_receiver.script(503, {}, times=1)
    first = _publish_and_send(api_key)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1 and subscription.failing_since is not None

    retried = webhook_delivery_attempt(delivery=_make_due(_next_attempt(first)))

    assert retried.status == "succeeded"
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.failing_since is None
    assert subscription.last_success_at is not None


def test_a_receiver_that_times_out_is_a_failed_attempt(hook, api_key, webhook_receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    webhook_receiver.delay_seconds = 2.5

    delivery = _publish_and_send(api_key)

    assert delivery.status == "failed" and delivery.response_status is None
    assert "no answer within 1 seconds" in delivery.error
    assert 900 <= delivery.duration_ms < 2400


def test_a_redirect_is_not_followed(hook, api_key, webhook_receiver):
    webhook_receiver.script(302, {}, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    delivery = _publish_and_send(api_key)

    assert delivery.status == "failed" and delivery.response_status == 302
    assert delivery.error == "redirects are not followed"
    assert len(webhook_receiver.requests) == 1


def test_the_retry_job_sends_due_attempts_only(hook, api_key, webhook_receiver, django_capture_on_commit_callbacks):
    webhook_receiver.script(500, {}, times=1)
    first = _publish_and_send(api_key)
    retry = _next_attempt(first)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_retry() == 0  # not due yet
    _make_due(retry)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_retry() == 1

    retry.refresh_from_db()
    assert retry.status == "succeeded" and len(webhook_receiver.requests) == 2


# --- auto-disable ----------------------------------------------------------------------------


def test_a_subscription_is_disabled_after_n_consecutive_failures_and_its_owner_told(
    hook, api_key, owner, webhook_receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_AUTODISABLE_FAILURES = 3
    subscription, _ = hook
    webhook_receiver.script(500, {}, times=10)

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            [delivery] = webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={"n": n})
            webhook_delivery_attempt(delivery=delivery)

    subscription.refresh_from_db()
    assert not subscription.is_active and "3 consecutive failed attempts" in subscription.disabled_reason
    assert not WebhookDelivery.objects.filter(subscription=subscription, status="pending").exists()
    assert len(webhook_receiver.requests) == 3
    [message] = mail.outbox
    assert message.to == [owner.email] and subscription.url in message.body
    assert AnalyticsEvent.objects.filter(name="webhook.subscription_disabled", user=owner).count() == 1
    # a disabled subscription gets nothing more
    assert webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={}) == []


def test_the_sweep_disables_subscriptions_that_only_failed_for_a_day(
    api_key, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_AUTODISABLE_HOURS = 24
    stale, _ = webhook_subscription_create(api_key=api_key, url="https://stale.example/hook")
    recent, _ = webhook_subscription_create(api_key=api_key, url="https://recent.example/hook")
    now = timezone.now()
    WebhookSubscription.objects.filter(pk=stale.pk).update(
        consecutive_failures=4, failing_since=now - timedelta(hours=25)
    )
    WebhookSubscription.objects.filter(pk=recent.pk).update(
        consecutive_failures=4, failing_since=now - timedelta(hours=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_subscription_autodisable() == 1

    stale.refresh_from_db(), recent.refresh_from_db()
    assert not stale.is_active and stale.disabled_reason.startswith("auto-disabled")
    assert recent.is_active
    assert len(mail.outbox) == 1


# --- test pings ------------------------------------------------------------------------------


def test_a_test_ping_is_delivered_now(hook, webhook_receiver):
    subscription, secret = hook

    delivery = webhook_test_send(subscription=subscription)

    assert delivery.status == "succeeded" and delivery.event_type == "webhook.ping"
    body = Webhook(secret).verify(webhook_receiver.requests[0].body, webhook_receiver.requests[0].headers)
    assert body["type"] == "webhook.ping" and body["data"]["subscription_id"] == str(subscription.pk)


def test_a_failed_test_ping_is_not_retried_nor_counted(hook, webhook_receiver):
    subscription, _ = hook
    webhook_receiver.script(500, {}, times=1)

    delivery = webhook_test_send(subscription=subscription)

    assert delivery.status == "dead" and delivery.response_status == 500
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_a_disabled_subscription_refuses_a_test_ping(hook):
    subscription, _ = hook
    services.webhook_subscription_disable(subscription=subscription, reason="paused")
    with pytest.raises(services.WebhookSubscriptionInactive, match="disabled"):
        webhook_test_send(subscription=subscription)


# --- fan-out ---------------------------------------------------------------------------------


def test_an_event_goes_only_to_the_keys_subscriptions_that_want_it_and_only_once(api_key, owner):
    wants_all, _ = webhook_subscription_create(api_key=api_key, url="https://all.example/hook")
    wants_cancel, _ = webhook_subscription_create(
        api_key=api_key, url="https://c.example/hook", events=["booking.cancelled"]
    )
    other_key = api_key_create(owner=owner, name="other")[0]
    webhook_subscription_create(api_key=other_key, url="https://other.example/hook")

    first = webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={"x": 1}, event_id="evt-1")
    again = webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={"x": 1}, event_id="evt-1")

    assert [d.subscription_id for d in first] == [wants_all.pk]
    assert again == []
    assert first[0].payload["type"] == "booking.confirmed" and first[0].payload["data"] == {"x": 1}


def test_publishing_an_unknown_event_type_is_refused(api_key):
    with pytest.raises(services.WebhookEventTypeUnknown, match="booking.teleported"):
        webhook_event_publish(api_key=api_key, event_type="booking.teleported", payload={})


def test_revoking_the_key_disables_its_subscriptions_and_publishes_nothing(hook, api_key):
    subscription, _ = hook
    api_key_revoke(api_key=api_key, reason="leaked")
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason == "API key revoked"
    api_key.refresh_from_db()
    assert webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={}) == []


# --- the SSRF guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "a loopback address (127.0.0.1)"),
        ("https://10.0.0.5/hook", "a private address (10.0.0.5)"),
        ("https://169.254.169.254/latest/meta-data/", "a link-local address (169.254.169.254)"),
        ("https://[::1]/hook", "a loopback address (::1)"),
        ("https://[fe80::1%25eth0]/", "a zone id"),  # does not resolve: refused before DNS
        ("https://[fe80::1%eth0]/hook", "a zone id"),
        ("https://[2606:4700::1111%25eth0]/hook", "a zone id"),  # even a public address
        ("https://localhost:8443/hook", "a loopback address"),
        ("http://hooks.partner.example/x", "must use https"),
        ("ftp://hooks.partner.example/x", "must use https"),
        ("https://user:pw@hooks.partner.example/x", "user name or password"),
        ("https:///nohost", "no host"),
        ("https://hooks.partner.example:99999/x", "not valid"),
        ("", "empty"),
    ],
)
def test_it_refuses_unsafe_urls_and_says_why(api_key, settings, url, reason):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(WebhookUrlRejected) as caught:
        webhook_subscription_create(api_key=api_key, url=url)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_name_resolving_to_a_private_address_is_refused(api_key, settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _resolve(monkeypatch, {"intranet.partner.example": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(WebhookUrlRejected, match=r"a private address \(10.1.2.3\)"):
        webhook_subscription_create(api_key=api_key, url="https://intranet.partner.example/hook")


def test_a_zone_id_is_refused_even_when_private_targets_are_allowed(api_key, settings):
    from agnt import netguard

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with pytest.raises(WebhookUrlRejected, match="zone id"):
        webhook_subscription_create(api_key=api_key, url="https://[fe80::1%25eth0]/")
    with pytest.raises(netguard.UnsafeAddress, match="zone id"):
        netguard.resolve_public("fe80::1%eth0", 443, allow_private=True)


def test_private_targets_are_allowed_when_the_setting_is_on(api_key, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    subscription, _ = webhook_subscription_create(api_key=api_key, url="http://127.0.0.1:9000/hook")
    assert subscription.url == "http://127.0.0.1:9000/hook"


def test_the_guard_is_checked_again_at_send_time_against_dns_rebinding(
    api_key, settings, monkeypatch, webhook_receiver
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _resolve(monkeypatch, {"hooks.partner.example": ["93.184.216.34"]})
    subscription, _ = webhook_subscription_create(api_key=api_key, url="https://hooks.partner.example/agnt")
    # the name now points at the local receiver's address
    _resolve(monkeypatch, {"hooks.partner.example": ["127.0.0.1"]})

    delivery = _publish_and_send(api_key)

    assert delivery.status == "failed" and delivery.response_status is None
    assert "refused" in delivery.error and "loopback" in delivery.error
    assert webhook_receiver.requests == []


def _resolve(monkeypatch, mapping: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in mapping[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


# --- replay from the admin ----------------------------------------------------------------------


def test_the_admin_replays_a_dead_delivery_as_the_next_attempt_of_the_same_message(
    staff_client, hook, api_key, webhook_receiver, django_capture_on_commit_callbacks
):
    subscription, secret = hook
    [delivery] = webhook_event_publish(api_key=api_key, event_type="booking.cancelled", payload={"ref": "AG-9"})
    services.webhook_delivery_schedule_retry(delivery=delivery, error="receiver was down", retry=False)  # dead

    changelist = reverse("admin:agents_webhookdelivery_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            changelist, {"action": "replay_deliveries", "_selected_action": [delivery.pk]}, follow=True
        )

    assert "Replayed 1" in response.content.decode()
    replay = WebhookDelivery.objects.get(event_id=delivery.event_id, attempt=2)
    assert replay.status == "succeeded" and replay.payload == delivery.payload
    [request] = webhook_receiver.requests
    assert request.headers["webhook-id"] == delivery.event_id
    assert Webhook(secret).verify(request.body, request.headers)["data"] == {"ref": "AG-9"}


def test_a_replay_is_refused_while_an_attempt_is_waiting(hook, api_key):
    [delivery] = webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={})
    with pytest.raises(services.WebhookError, match="already has an attempt waiting"):
        services.webhook_delivery_replay(delivery=delivery)


def test_the_admin_send_test_action_reports_the_outcome(staff_client, hook, webhook_receiver):
    subscription, _ = hook
    changelist = reverse("admin:agents_webhooksubscription_changelist")

    response = staff_client.post(
        changelist, {"action": "send_test_events", "_selected_action": [subscription.pk]}, follow=True
    )

    assert "delivered (HTTP 200" in response.content.decode()
    assert webhook_receiver.requests[0].json["type"] == "webhook.ping"


def test_the_admin_rotate_action_shows_a_secret_that_verifies_the_next_delivery(
    staff_client, hook, api_key, webhook_receiver
):
    subscription, old_secret = hook
    changelist = reverse("admin:agents_webhooksubscription_changelist")

    html = staff_client.post(
        changelist, {"action": "rotate_secrets", "_selected_action": [subscription.pk]}, follow=True
    ).content.decode()

    [new_secret] = [token for token in html.replace("<", " ").replace(">", " ").split() if token.startswith("whsec_")]
    assert new_secret != old_secret
    _publish_and_send(api_key)
    Webhook(new_secret).verify(webhook_receiver.requests[0].body, webhook_receiver.requests[0].headers)


def test_the_admin_refuses_a_private_url_with_the_reason(staff_client, api_key, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = staff_client.post(
        reverse("admin:agents_webhooksubscription_add"),
        {"api_key": api_key.pk, "url": "https://169.254.169.254/latest/", "events": "", "description": ""},
    )
    assert response.status_code == 200
    assert "a link-local address (169.254.169.254)" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


# --- booking events --------------------------------------------------------------------------


@pytest.fixture
def venue(db):
    from venues.tests.factories import make_venue

    return make_venue(slug="la-brisa", name="La Brisa", min_party_size=1, max_party_size=10)


def _book(venue, **kwargs):
    from bookings.services import booking_create

    return booking_create(
        venue=venue, party_size=2, slot_start=timezone.now() + timedelta(days=2), source="api", **kwargs
    )


def test_booking_status_changes_reach_the_booking_keys_subscriptions(
    hook, api_key, venue, webhook_receiver, django_capture_on_commit_callbacks
):
    from bookings.services import booking_confirm

    subscription, secret = hook
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(venue, api_key=api_key)
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking, reason="table 4")

    bodies = [Webhook(secret).verify(r.body, r.headers) for r in webhook_receiver.requests]
    assert [body["type"] for body in bodies] == ["booking.created", "booking.confirmed"]
    confirmed = bodies[1]["data"]
    assert confirmed["booking"]["ref"] == booking.external_ref
    assert confirmed["booking"]["status"] == "confirmed" and confirmed["booking"]["previous_status"] == "requested"
    assert confirmed["booking"]["party_size"] == 2 and confirmed["booking"]["reason"] == "table 4"
    assert confirmed["booking"]["slot_start"].endswith("Z")
    assert confirmed["venue"] == {"slug": "la-brisa", "name": "La Brisa"}
    ids = {r.headers["webhook-id"] for r in webhook_receiver.requests}
    assert len(ids) == 2


def test_bookings_made_without_an_api_key_publish_nothing(
    hook, venue, webhook_receiver, django_capture_on_commit_callbacks
):
    from bookings.services import booking_confirm

    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(venue, user=baker.make("agnt.User"))
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking)

    assert webhook_receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_redelivered_booking_event_task_sends_nothing_twice(
    hook, api_key, venue, webhook_receiver, django_capture_on_commit_callbacks
):
    from agents.services import webhook_booking_status_publish

    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(venue, api_key=api_key)
    assert len(webhook_receiver.requests) == 1

    assert webhook_booking_status_publish(booking_id=booking.pk, from_status="", to_status="requested") == []
    assert WebhookDelivery.objects.filter(event_type="booking.created").count() == 1


def test_an_attempt_another_worker_is_sending_is_not_sent_twice(
    hook, api_key, webhook_receiver, django_capture_on_commit_callbacks
):
    [delivery] = webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={})
    assert services._claim(delivery) is not None  # a worker has leased it and is sending

    assert webhook_delivery_attempt(delivery=delivery).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_retry() == 0
    assert webhook_receiver.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"url": "https://10.0.0.1/x"}, WebhookUrlRejected, "url"),
        ({"events": ["booking.teleported"]}, services.WebhookEventTypeUnknown, "events"),
        ({"description": "d" * 201}, services.WebhookError, "description"),
    ],
)
def test_update_refuses_bad_input_naming_the_field_and_changes_nothing(api_key, settings, kwargs, error, field):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    subscription, _ = webhook_subscription_create(api_key=api_key, url="https://hooks.partner.example/x")
    with pytest.raises(error) as caught:
        services.webhook_subscription_update(subscription=subscription, **kwargs)
    assert caught.value.field == field
    subscription.refresh_from_db()
    assert (
        subscription.url == "https://hooks.partner.example/x"
        and subscription.events == []
        and subscription.description == ""
    )


def test_update_changes_events_and_disables_then_reenables(api_key):
    subscription, _ = webhook_subscription_create(api_key=api_key, url="https://hooks.partner.example/x")
    services.webhook_subscription_update(subscription=subscription, events=["booking.confirmed"], is_active=False)
    subscription.refresh_from_db()
    assert subscription.events == ["booking.confirmed"] and not subscription.is_active
    services.webhook_subscription_update(subscription=subscription, is_active=True)
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None


def test_delete_removes_the_subscription_and_its_log(hook, api_key):
    subscription, _ = hook
    webhook_event_publish(api_key=api_key, event_type="booking.confirmed", payload={})
    services.webhook_subscription_delete(subscription=subscription)
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert not WebhookDelivery.objects.exists()
