"""Idempotent demo data: the Bali launch network with enough activity that every admin
page shows something real. Run by ``manage.py seed_demo`` (and so by ``make run``).

The cities, venues and people come from the data file venues/demo/bali.yaml (schema-checked
by ``venues.demo.load``); the activity around them (bookings, chats, ledgers…) is made here.
This module sits on top of every app, like the management commands beside it.

Everything goes through the same services the product uses (bookings through
``booking_create`` and transitions, credits through ``credit_adjust``, claims through
``venue_claim_*``…), so demo rows carry their event logs and ledgers like real ones.
Re-running changes nothing: every object is looked up by a natural key first.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from agnt.models import (
    AnalyticsEvent,
    ErrorLog,
    PushSubscription,
    TaskOutbox,
    User,
    UserFollowsTaste,
)
from venues.demo import load as load_demo_network

DEMO_MARK = "demo"


def _aware(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class DemoSeeder:
    def __init__(self, log=print):
        self.log = log
        self.data = load_demo_network()
        self.created: dict[str, int] = {}

    def count(self, what: str, created: bool = True) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1

    # -- places -------------------------------------------------------------------
    def cities(self) -> None:
        from venues.models import City

        self.city = {}
        for row in self.data["cities"]:
            city, created = City.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "latitude": Decimal(row["latitude"]),
                    "longitude": Decimal(row["longitude"]),
                    "description": row["description"],
                    "launched_on": row["launched_on"],
                },
            )
            self.city[city.slug] = city
            self.count("cities", created)

    def venues(self) -> None:
        from agents.services import agent_register_for_venue
        from venues.models import Venue

        decimal_fields = {
            "latitude",
            "longitude",
            "average_spend",
            "deposit_amount",
            "minimum_spend",
            "referral_fee_pct",
            "rating_average",
        }
        self.venue = {}
        for row in self.data["venues"]:
            fields = {k: v for k, v in row.items() if k not in {"slug", "city"}}
            for key in decimal_fields & fields.keys():
                fields[key] = Decimal(fields[key]) if fields[key] is not None else None
            venue = Venue.objects.filter(slug=row["slug"]).first()
            if venue is None:
                venue = Venue.objects.create(slug=row["slug"], city=self.city[row["city"]], status="listed", **fields)
                self.count("venues")
            self.venue[venue.slug] = venue
            agent_register_for_venue(venue=venue)

    # -- people -------------------------------------------------------------------
    def users(self) -> None:
        self.consumers: list[User] = []
        self.owners: list[tuple[User, dict]] = []
        for row in self.data["users"]:
            user, created = User.objects.get_or_create(
                username=row["username"],
                defaults={
                    "display_name": row["display_name"],
                    "email": row["email"],
                    "language": row.get("language", "en"),
                    "city": self.city.get(row.get("city", "")),
                    "plan": row.get("plan", "free"),
                },
            )
            if created:
                user.set_unusable_password()  # demo people log in through their channels, not passwords
                user.save(update_fields=["password"])
            self.count("users", created)
            if "owns" in row:
                self.owners.append((user, row))
            else:
                self.consumers.append(user)

    def owners_and_claims(self, reviewer: User) -> None:
        from venues.models import VenueClaim, VenueClient
        from venues.services import venue_claim_approve, venue_claim_submit

        for user, row in self.owners:
            for slug in row["owns"]:
                venue = self.venue[slug]
                if VenueClient.objects.filter(user=user, venue=venue).exists():
                    continue
                claim = venue_claim_submit(
                    venue=venue,
                    claimant=user,
                    contact_name=user.display_name,
                    contact_email=user.email,
                    verification_method="phone_call",
                    role=row.get("role", "owner"),
                    evidence_text="Verified by calling the number listed on the venue's Google profile.",
                )
                venue_claim_approve(claim=claim, reviewer=reviewer, reason="Phone verification passed")
                self.count("claims approved")
        # One claim still waiting in the review queue, so operations has something to act on.
        pending_venue = self.venue[self.data["venues"][5]["slug"]]
        claimant = self.consumers[-1]
        if not VenueClaim.objects.filter(venue=pending_venue, claimant=claimant).exists():
            venue_claim_submit(
                venue=pending_venue,
                claimant=claimant,
                contact_name=claimant.display_name,
                contact_email=claimant.email,
                verification_method="document",
                business_name=pending_venue.name,
                evidence_text="Uploaded NIB business licence; awaiting review.",
            )
            self.count("claims pending")

    def ambassadors(self) -> None:
        from venues.models import CityAmbassador

        for user, city_slug in ((self.consumers[0], "canggu"), (self.consumers[1], "ubud")):
            _, created = CityAmbassador.objects.get_or_create(
                user=user,
                city=self.city[city_slug],
                defaults={
                    "status": "active",
                    "referral_code": f"AMB-{city_slug.upper()[:4]}",
                    "commission_pct": Decimal("5.00"),
                    "started_on": timezone.localdate() - timedelta(days=60),
                },
            )
            self.count("ambassadors", created)

    def lists(self) -> None:
        from venues.services import user_list_add_venue, user_list_get_builtin

        venues = list(self.venue.values())
        for index, user in enumerate(self.consumers[:4]):
            wishlist = user_list_get_builtin(user=user, kind="wishlist")
            for venue in venues[index * 3 : index * 3 + 3]:
                if not wishlist.items.filter(venue=venue).exists():
                    user_list_add_venue(user_list=wishlist, venue=venue, note="Saw it on Instagram")
                    self.count("list items")

    # -- bookings -----------------------------------------------------------------
    BOOKING_PLAN = [
        # (days from today, hour, party, final status)
        (-12, 19, 2, "completed"),
        (-11, 13, 4, "completed"),
        (-10, 20, 2, "no_show"),
        (-9, 18, 6, "completed"),
        (-8, 12, 2, "cancelled"),
        (-7, 19, 3, "completed"),
        (-6, 20, 2, "completed"),
        (-5, 17, 8, "rejected"),
        (-4, 19, 2, "completed"),
        (-3, 13, 5, "completed"),
        (-2, 20, 2, "completed"),
        (-1, 19, 4, "completed"),
        (0, 19, 2, "confirmed"),
        (0, 20, 4, "confirmed"),
        (0, 13, 2, "requested"),
        (1, 19, 2, "confirmed"),
        (1, 20, 12, "pending_owner"),
        (2, 18, 3, "confirmed"),
        (3, 19, 2, "requested"),
        (4, 12, 6, "confirmed"),
        (5, 20, 2, "counter_offered"),
        (6, 19, 2, "confirmed"),
        (9, 19, 4, "confirmed"),
        (13, 18, 2, "requested"),
    ]

    def bookings(self) -> None:
        from bookings import services as booking_services
        from bookings.models import VenueBooking

        sources = ["telegram", "whatsapp", "instagram", "api", "web", "whatsapp"]
        bookable = [v for v in self.venue.values() if v.category in {"restaurant", "beach_club", "bar", "cafe", "spa"}]
        self.bookings_made = []
        for index, (day, hour, party, final) in enumerate(self.BOOKING_PLAN):
            key = f"{DEMO_MARK}-booking-{index:03d}"
            existing = VenueBooking.objects.filter(idempotency_key=key).first()
            if existing:
                self.bookings_made.append(existing)
                continue
            venue = bookable[(index * 7) % len(bookable)]
            user = self.consumers[index % len(self.consumers)]
            party = max(venue.min_party_size, min(party, venue.max_party_size))
            booking = booking_services.booking_create(
                venue=venue,
                user=user,
                party_size=party,
                slot_start=_aware(day, hour),
                source=sources[index % len(sources)],
                contact_name=user.display_name,
                idempotency_key=key,
                spend_estimate=(venue.average_spend or Decimal("250000")) * party,
                special_requests="Window table if possible" if index % 3 == 0 else "",
            )
            self._walk(booking, final)
            if day < 0:  # past visits were requested a couple of days ahead; today's arrive today
                VenueBooking.objects.filter(pk=booking.pk).update(created_at=_aware(day - 2, 10 + index % 8))
            self.bookings_made.append(booking)
            self.count("bookings")

    def _walk(self, booking, final: str) -> None:
        from bookings import services as s

        if final == "requested":
            return
        if final in {"rejected"}:
            s.booking_reject(booking=booking, reason="Fully booked for parties of that size")
            return
        if final == "pending_owner":
            s.booking_transition(
                booking=booking,
                to_status="pending_owner",
                actor_kind="venue_agent",
                reason="Party above the auto-accept limit",
            )
            return
        if final == "counter_offered":
            s.booking_transition(
                booking=booking,
                to_status="counter_offered",
                actor_kind="venue_agent",
                reason="Requested slot is full",
                data={"alternatives": [(booking.slot_start + timedelta(minutes=90)).isoformat()]},
            )
            return
        s.booking_confirm(booking=booking, reason="Slot available")
        if final == "completed":
            s.booking_complete(booking=booking)
        elif final == "no_show":
            s.booking_mark_no_show(booking=booking, reason="Guest did not arrive within 30 minutes")
        elif final == "cancelled":
            s.booking_cancel(booking=booking, reason="Plans changed")

    def ratings_reminders_transport(self) -> None:
        from bookings import services as s
        from bookings.models import BookingRating, Reminder, TransportBooking

        completed = [b for b in self.bookings_made if b.status == "completed"]
        for index, booking in enumerate(completed[:6]):
            if not BookingRating.objects.filter(booking=booking).exists():
                s.booking_rate(
                    booking=booking,
                    user=booking.user,
                    score=5 - index % 2,
                    comment=["Sunset was unreal", "Great service, slow kitchen"][index % 2],
                    food_score=4,
                    service_score=5 - index % 2,
                    would_return=True,
                )
                self.count("ratings")
        # Only bookings whose two-hours-before reminder is still ahead: the demo's slots are
        # relative to today, so at some hours of the day the nearest ones have already passed it.
        upcoming = [
            b
            for b in self.bookings_made
            if b.status == "confirmed" and b.slot_start - timedelta(hours=2) > timezone.now() + timedelta(minutes=5)
        ]
        for booking in upcoming[:3]:
            if booking.user and not Reminder.objects.filter(booking=booking).exists():
                s.reminder_create(
                    user=booking.user,
                    text=f"Your table at {booking.venue.name} is in 2 hours",
                    due_at=booking.slot_start - timedelta(hours=2),
                    booking=booking,
                    kind="booking",
                    channel="whatsapp",
                )
                self.count("reminders")
        self.lifecycle_rows(upcoming, completed)
        user = self.consumers[0]
        if not TransportBooking.objects.filter(quote_id=f"{DEMO_MARK}-quote-1").exists():
            venue = self.venue[self.data["venues"][0]["slug"]]
            s.transport_quote_record(
                user=user,
                quote_id=f"{DEMO_MARK}-quote-1",
                quote_expires_at=timezone.now() + timedelta(minutes=5),
                price_amount=Decimal("48000.00"),
                currency="IDR",
                service_type="motorcycle",
                pickup={"address": venue.address, "latitude": str(venue.latitude), "longitude": str(venue.longitude)},
                dropoff={
                    "address": "Jl. Pantai Berawa No. 12, Canggu",
                    "latitude": "-8.661000",
                    "longitude": "115.139000",
                },
                item_description="Forgotten sunglasses",
                distance_m=3200,
                venue=venue,
            )
            self.count("courier quotes")

    def lifecycle_rows(self, upcoming: list, completed: list) -> None:
        """A sent reminder and rating request, a waitlisted guest and a reliability record, as
        the lifecycle jobs leave them (written as history: seeding must message nobody)."""
        from bookings.models import BookingMessage, WaitlistEntry
        from bookings.services import guest_reliability_recompute

        for booking, kind in (
            (upcoming[0] if upcoming else None, "reminder_day_before"),
            (completed[0] if completed else None, "rating_request"),
        ):
            if booking is not None and booking.user is not None:
                _, created = BookingMessage.objects.get_or_create(
                    booking=booking,
                    kind=kind,
                    defaults={"user": booking.user, "outcome": "queued", "platform": "telegram"},
                )
                self.count("lifecycle messages", created)
        if upcoming:
            booking = upcoming[0]
            guest = self.consumers[-1]
            _, created = WaitlistEntry.objects.get_or_create(
                user=guest,
                venue=booking.venue,
                slot_start=booking.slot_start,
                defaults={"party_size": booking.party_size, "flexibility_minutes": 60, "note": "Any table is fine"},
            )
            self.count("waitlist entries", created)
        for user in self.consumers[:2]:
            guest_reliability_recompute(user=user)

    # -- agents, knowledge, messaging ---------------------------------------------
    def agents_and_keys(self, developer: User) -> None:
        from agents import services as a
        from agents.models import (
            A2AEnvelope,
            ApiKey,
            CardResponse,
            ProjectMemory,
            WebhookSubscription,
        )
        from agents.network.cards import card_publish
        from agents.network.registry import platform_agent

        # the real A2A v1.0 cards (agents.network.cards), the same the well-known endpoints serve
        _, created = card_publish(agent=platform_agent())
        self.count("agent cards", created)
        for venue in list(self.venue.values())[:10]:
            agent = a.agent_register_for_venue(venue=venue)
            _, created = card_publish(agent=agent)
            self.count("agent cards", created)
        for user in self.consumers[:3]:
            a.agent_register_for_user(user=user)

        key = ApiKey.objects.filter(owner=developer, name="Demo developer agent").first()
        if key is None:
            key, _ = a.api_key_create(owner=developer, name="Demo developer agent", tier="pro")
            self.count("api keys")
        if not WebhookSubscription.objects.filter(api_key=key).exists():
            subscription, _ = a.webhook_subscription_create(
                api_key=key,
                url="https://hooks.agnt.example/bookings",
                events=["booking.confirmed", "booking.cancelled"],
                description="Demo developer's booking hook",
            )
            a.webhook_delivery_enqueue(
                subscription=subscription, event_type="booking.confirmed", payload={"booking": "demo"}
            )
            self.count("webhook subscriptions")
        for booking in self.bookings_made[:4]:
            envelope_id = f"{DEMO_MARK}-env-{booking.idempotency_key}"
            if A2AEnvelope.objects.filter(envelope_id=envelope_id).exists():
                continue
            envelope, _ = a.envelope_record(
                envelope_id=envelope_id,
                intent="booking.request",
                direction="outbound",
                from_agent_id=f"consumer-{booking.user_id}",
                to_agent_id=booking.venue.cp_agent_id,
                payload={
                    "booking_ref": booking.external_ref,
                    "party_size": booking.party_size,
                    "slot_start": booking.slot_start.isoformat(),
                },
            )
            A2AEnvelope.objects.filter(pk=envelope.pk).update(booking=booking)
            for status in ("sent", "delivered", "processed"):
                envelope = a.envelope_transition(envelope=envelope, to_status=status)
            self.count("envelopes")
        self.gateway_ping()
        _, created = ProjectMemory.objects.get_or_create(
            project="concierge",
            key="tone",
            defaults={
                "value": "Warm, brief, local. Suggest at most three venues at once.",
                "tags": ["style"],
                "author": "ops",
            },
        )
        self.count("project memories", created)
        _, created = CardResponse.objects.get_or_create(
            card_id=f"{DEMO_MARK}-card-1",
            responder_handle="@sari",
            defaults={
                "card_kind": "poll",
                "user": self.consumers[0],
                "response": {"choice": "Tidehouse"},
                "response_text": "Tidehouse!",
                "channel": "telegram",
            },
        )
        self.count("card responses", created)

    def gateway_ping(self) -> None:
        """One signed network.ping in the built-in gateway's inbox of the platform agent, so the
        gateway admin has a row to show; the worker pushes it to the platform agent, which answers it."""
        from agents.models import GatewayMessage
        from agents.network.gateway import gateway_message_accept
        from agents.network.registry import platform_agent
        from agents.network.signing import build_envelope, sign_envelope

        platform = platform_agent()
        if GatewayMessage.objects.filter(recipient=platform, from_agent_id=f"{DEMO_MARK}-probe").exists():
            return
        envelope = sign_envelope(
            build_envelope(
                intent="network.ping",
                from_agent_id=f"{DEMO_MARK}-probe",
                to_agent_id=platform.agent_id,
                payload={"demo": True},
            )
        )
        gateway_message_accept(to_agent_id=platform.agent_id, from_agent_id=f"{DEMO_MARK}-probe", payload=envelope)
        self.count("gateway messages")

    def knowledge(self) -> None:
        from knowledge import services as k
        from knowledge.ingestion import knowledge_source_ingest
        from knowledge.maintenance import reembed_stale_chunks
        from knowledge.models import (
            EntityEdge,
            EntityNode,
            FoodDiary,
            UserMemory,
            VenueKnowledgeSource,
        )

        for venue in self.venue.values():
            source = VenueKnowledgeSource.objects.filter(venue=venue, kind="text", title="Venue notes").first()
            if source is None:
                source = k.knowledge_source_create(
                    venue=venue, kind="text", title="Venue notes", text=venue.knowledge_text
                )
                self.count("knowledge sources")
            if source.status == "queued":
                # Manual text needs no fetching: ingest now so the demo is searchable at once
                # (the on-commit task will then find the source ready and skip it).
                knowledge_source_ingest(source_id=source.pk)
        embedded = reembed_stale_chunks()["embedded"]
        if embedded:
            self.created["chunks embedded"] = embedded
        memories = [
            ("allergy", "Allergic to peanuts"),
            ("area", "Prefers Berawa and Batu Bolong"),
            ("party_size", "Usually books for 2"),
            ("budget", "Mid-range, around IDR 300k per person"),
        ]
        for user in self.consumers[:3]:
            for kind, content in memories:
                _, created = UserMemory.objects.get_or_create(
                    user=user, kind=kind, content=content, defaults={"importance": 0.8, "confidence": 0.9}
                )
                self.count("memories", created)
        self._graph(EntityNode, EntityEdge)
        user = self.consumers[0]
        _, created = FoodDiary.objects.get_or_create(
            user=user,
            description="Nasi campur with tempeh and sambal matah",
            defaults={
                "meal_type": "lunch",
                "eaten_at": _aware(-1, 13),
                "calories": 640,
                "protein_g": Decimal("24.0"),
                "carbs_g": Decimal("82.0"),
                "fat_g": Decimal("21.0"),
                "confidence": 0.7,
                "items": [{"name": "nasi campur", "calories": 640}],
            },
        )
        self.count("food diary", created)

    def _graph(self, EntityNode, EntityEdge) -> None:
        def node(kind, key, label, **extra):
            obj, created = EntityNode.objects.get_or_create(kind=kind, key=key, defaults={"label": label, **extra})
            self.count("graph nodes", created)
            return obj

        def edge(src, dst, relation):
            _, created = EntityEdge.objects.get_or_create(src=src, dst=dst, relation=relation, defaults={"weight": 1.0})
            self.count("graph edges", created)

        for venue in list(self.venue.values())[:25]:
            v = node("venue", venue.slug, venue.name, venue=venue)
            city = node("city", venue.city.slug, venue.city.name)
            if venue.area:
                area = node("area", slugify(f"{venue.city.slug}-{venue.area}"), venue.area)
                edge(v, area, "located_in")
                edge(area, city, "part_of")
            for cuisine in venue.cuisines[:2]:
                edge(v, node("cuisine", slugify(cuisine), cuisine), "serves")

    def messaging(self) -> None:
        from messaging import services as m
        from messaging.models import ConversationSnapshot

        platforms = ["telegram", "whatsapp", "instagram"]
        for index, user in enumerate(self.consumers):
            platform = platforms[index % 3]
            channel, _ = m.user_channel_bind(
                platform=platform,
                external_id=f"{DEMO_MARK}-{platform}-{index}",
                user=user,
                username=user.username,
                display_name=user.display_name,
            )
            inbound, created = m.interaction_record_inbound(
                platform=platform,
                provider_message_id=f"{DEMO_MARK}-in-{index}",
                text="Any sunset dinner spots for two tonight?",
                channel=channel,
                user=user,
            )
            if not created:
                continue
            self.count("interactions")
            reply = m.interaction_record_outbound(
                platform=platform,
                text="Three picks with sunset views near you: Tidehouse, Lava Sands, Salt & Sourdough. Want me to book?",
                channel=channel,
                user=user,
                reply_to=inbound,
            )
            if index == 2:
                m.interaction_mark_status(
                    interaction=reply, status="failed", error="429 Too Many Requests from provider"
                )
            else:
                m.interaction_mark_status(
                    interaction=reply, status="sent", provider_message_id=f"{DEMO_MARK}-out-{index}"
                )
            self.count("interactions")
        user = self.consumers[0]
        if not ConversationSnapshot.objects.filter(user=user).exists():
            m.conversation_snapshot_take(
                user=user,
                platform="telegram",
                messages=[
                    {"role": "user", "content": "Any sunset dinner spots for two tonight?"},
                    {"role": "assistant", "content": "Three picks with sunset views near you…"},
                ],
            )
            self.count("snapshots")

    # -- core ---------------------------------------------------------------------
    def core(self) -> None:
        from agnt import services as core

        if not AnalyticsEvent.objects.filter(name="chat.message", source=DEMO_MARK).exists():
            for index, user in enumerate(self.consumers):
                AnalyticsEvent.objects.create(
                    name="chat.message",
                    user=user,
                    source=DEMO_MARK,
                    properties={"platform": "telegram"},
                    occurred_at=_aware(-(index % 5), 12),
                )
            self.count("analytics events")
        core.analytics_rollup(days=7)
        if not ErrorLog.objects.filter(logger="messaging.send").exists():
            ErrorLog.objects.create(
                level="error",
                logger="messaging.send",
                message="WhatsApp send failed: 429 Too Many Requests (will retry)",
                exception_type="ProviderRateLimited",
                context={"platform": "whatsapp", "retry_in": 30},
            )
            self.count("error logs")
        if not TaskOutbox.objects.exists():
            # what a Redis outage leaves behind: the relay publishes it within seconds of start
            TaskOutbox.objects.create(
                task="agnt.heartbeat",
                queue="maintenance",
                last_error="OperationalError: Error 111 connecting to redis:6379. Connection refused.",
            )
            self.count("outbox tasks")
        for user, taste in zip(self.consumers, ["sunset", "natural-wine", "vegan", "live-music", "brunch", "surf"]):
            _, created = UserFollowsTaste.objects.get_or_create(user=user, taste=taste)
            self.count("tastes", created)
        _, created = PushSubscription.objects.get_or_create(
            endpoint="https://push.agnt.example/sub/demo-1",
            defaults={
                "user": self.consumers[0],
                "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                "auth": "tBHItJI5svbpez7KI4CCXg",
            },
        )
        self.count("push subscriptions", created)
        from messaging.models import PushNotification

        _, created = PushNotification.objects.get_or_create(
            user=self.consumers[0],
            dedupe_key="demo:welcome",
            defaults={
                "kind": "booking",
                "title": "Welcome to AGNT",
                "body": "Booking confirmations and price drops will show up here.",
                "status": "no_subscribers",
            },
        )
        self.count("push notifications", created)
        from agnt.models import Session

        if not Session.objects.filter(user=self.consumers[0]).exists():
            core.session_login(user=self.consumers[0], user_agent="AGNT iOS 1.4 (demo)", ip_address="203.0.113.10")
            self.count("sessions")

    def operations_staff(self) -> User:
        """A demo Operations team member: approves claims and owns the CRM pipeline.

        Deliberately not the superuser: that account (and its one-time password) belongs to
        `make run`, never to demo data.
        """
        from django.contrib.auth.models import Group

        from agnt.roles import OPERATIONS

        staff, created = User.objects.get_or_create(
            username="wayan.ops",
            defaults={"display_name": "Wayan (Operations)", "email": "wayan.ops@agnt.example", "is_staff": True},
        )
        if created:
            staff.set_unusable_password()
            staff.save(update_fields=["password"])
        staff.groups.add(Group.objects.get_or_create(name=OPERATIONS)[0])
        self.count("staff", created)
        return staff

    def run(self) -> dict[str, int]:
        from bookings.signals import silenced

        # demo history is written, not announced: no guest is messaged about seeded bookings
        with silenced(), transaction.atomic():
            self.cities()
            self.venues()
            self.users()
            reviewer = self.operations_staff()
            developer, _ = User.objects.get_or_create(
                username="dev.agent", defaults={"display_name": "Demo developer", "email": "dev@agnt.example"}
            )
            self.owners_and_claims(reviewer)
            self.ambassadors()
            self.lists()
            self.bookings()
            self.ratings_reminders_transport()
            self.agents_and_keys(developer)
            self.knowledge()
            self.messaging()
            self.money_and_crm(developer, reviewer)
            self.core()
        return self.created

    def money_and_crm(self, developer: User, staff: User) -> None:
        from agents.models import ApiKey
        from billing.demo import seed_billing_demo
        from billing.services import api_usage_record, commerce_booking_fee_record
        from crm.demo import seed_crm_demo
        from venues.models import VenueClient

        # Referral fees for the completed demo bookings (idempotent per booking).
        for booking in self.bookings_made:
            if booking.status == "completed":
                commerce_booking_fee_record(booking=booking)
        key = ApiKey.objects.get(owner=developer, name="Demo developer agent")
        for index, booking in enumerate(self.bookings_made[:6]):
            api_usage_record(
                api_key=key,
                intent="booking.search" if index % 2 else "booking.confirm",
                request_id=f"{DEMO_MARK}-req-{index}",
                booking=booking if index % 2 == 0 else None,
            )
        # money-collect: a disputed fee reversed before collection, a free API call settled
        from billing.collection_demo import seed_collection_demo

        seed_collection_demo(bookings=self.bookings_made, api_key=key, request_id=f"{DEMO_MARK}-req-free")
        owned = [link.venue for link in VenueClient.objects.select_related("venue").order_by("created_at")]
        # Credits, referral, invoices (issued, paid, draft), a credit note, price watches, CRM
        # pipelines; both functions are idempotent and return totals, not what they added.
        seed_billing_demo(users=self.consumers, venues=owned, staff=staff)
        seed_crm_demo(venues=owned, staff=staff)
