"""The message router: every channel's inbound message becomes one concierge turn.

Webhook views (and the web chat, and ``manage.py chat``) call :func:`inbound_accept`,
which binds the user, stores the message once (dedupe is the database's unique
constraint) and enqueues processing after commit. A worker then runs
:func:`channel_drain`:

* **Order.** Messages from one user are answered in the order they arrived, even when
  several workers pick up their tasks at once: a per-channel Redis lock is held while
  answering, and whoever holds it answers the *oldest* unanswered message first — so a
  later task that wins the race still answers the earlier message first, and the task
  for a message already answered finds nothing to do.
* **No waiting in a worker slot.** A task that finds the lock taken does not wait for
  it: the holder looks for new messages once more after releasing the lock and answers
  them itself, and the task re-enqueues itself with a countdown just past the lock's
  lifetime as a safety net (the holder may have died), so one slow or crashed
  conversation never holds the pool. The lock lives
  ``LOCK_TTL_SECONDS`` and a thread renews it while the turn runs, so a holder that dies
  (a killed pool child) frees its guest within seconds; the next holder finds the dead
  one's message still ``processing`` and answers it — unless its reply had already been
  queued, then it is only marked processed (answered once).
* **One turn per message.** Commands (/start, /help, /reset) are answered here; anything
  else goes to the LLM gateway with the encrypted session history, and the reply goes
  out through the send queue on the same channel.
* **Nothing is lost.** A turn that fails marks the message failed with the error, and
  the user gets a short apology instead of silence.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agnt.llm.types import ToolContext, TurnResult
from agnt.scheduling import redis_client
from agnt.services import fault_record, task_enqueue
from messaging import session_store
from messaging.models import (
    ChannelPlatform,
    Interaction,
    InteractionDirection,
    InteractionKind,
    InteractionSource,
    UserChannel,
)
from messaging.services import (
    interaction_mark_status,
    interaction_record_inbound,
    interaction_record_usage,
    user_channel_bind,
    user_language_remember,
)
from messaging.state import InteractionStatus
from messaging.types import InboundMessage, MediaRef

logger = logging.getLogger(__name__)

LOCK_TTL_SECONDS = 10  # a dead holder's guest is free again this soon
LOCK_RENEW_SECONDS = 3  # the holder's heartbeat renews the lock this often while it works
BUSY_RETRY_SECONDS = LOCK_TTL_SECONDS + 1  # safety net of a task that found the lock taken
DRAIN_BATCH = 20  # messages answered per lock hold before yielding the worker
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # Anthropic's per-image limit

WELCOME = (
    "Hi{name}! I'm your AGNT concierge for Bali. I can find restaurants, beach clubs, spas and cafés, "
    "answer questions about them, book a table, set reminders, check the weather and remember what you like.\n"
    'Try: "beach club in Canggu", "vegan dinner in Ubud for 4 tonight" or "book La Brisa tomorrow 7pm for 2".'
)
HELP = (
    "Here is what I can do:\n"
    '• find venues — "sushi in Seminyak", "spa in Ubud open now"\n'
    '• answer questions — "does Nook have a kids menu?"\n'
    '• check and book tables — "is Mason free Friday at 8pm for 4?", "book it"\n'
    '• your bookings — "my bookings", "cancel AG-7K3Q9D"\n'
    '• reminders, weather, preferences ("I\'m vegetarian"), meal log, courier quotes\n'
    "Send /reset to start our conversation afresh."
)
APOLOGY = "Sorry — something went wrong on my side while answering that. Please try again in a moment."


# --------------------------------------------------------------------------- accept


def inbound_accept(message: InboundMessage, *, enqueue: bool = True) -> tuple[Interaction, bool]:
    """Bind the sender, store the message once, and (after commit) enqueue its processing.

    Returns ``(interaction, created)``; ``created`` is False for a redelivered message,
    which is then neither stored nor processed again.
    """
    with transaction.atomic():
        channel, channel_created = user_channel_bind(
            platform=message.platform,
            external_id=message.external_id,
            username=message.username,
            display_name=message.display_name,
            language_code=message.language_code,
            referral_code=message.referral_code,
            with_user=False,
        )
        payload: dict[str, Any] = {"provider": message.payload, "media": [asdict(media) for media in message.media]}
        if message.referral_code:
            payload["referral_code"] = message.referral_code
        interaction, created = interaction_record_inbound(
            platform=message.platform,
            provider_message_id=message.provider_message_id,
            text=message.text[:8000],
            kind=message.kind,
            channel=channel,
            payload=payload,
        )
        if created and enqueue:
            channel_id = str(channel.pk)
            transaction.on_commit(lambda: _enqueue_drain(channel_id))
    return interaction, created


def web_message_accept(*, user, text: str, client_message_id: str | None = None) -> tuple[Interaction, bool]:
    """The first-party web chat (``/api/chat``, ``/chat/``, ``manage.py chat``): same pipeline, no provider.

    The caller answers it at once with :func:`channel_drain` (blocking chat UX), so nothing
    is enqueued here.
    """
    with transaction.atomic():
        user_channel_bind(
            platform=ChannelPlatform.WEB,
            external_id=str(user.pk),
            username=user.get_username(),
            display_name=getattr(user, "display_name", "") or user.get_full_name(),
            user=user,
        )
        # a client id makes retries idempotent; without one every POST is a new message
        message_id = f"{user.pk}:{client_message_id}" if client_message_id else f"{user.pk}:{uuid.uuid4()}"
        return inbound_accept(
            InboundMessage(
                platform=ChannelPlatform.WEB,
                external_id=str(user.pk),
                provider_message_id=message_id,
                kind=InteractionKind.COMMAND if text.startswith("/") else InteractionKind.TEXT,
                text=text,
            ),
            enqueue=False,
        )


def _enqueue_drain(channel_id: str) -> None:
    from messaging.tasks import process_channel_messages

    # broker down: the task waits in the outbox and is published within seconds of its return
    task_enqueue(process_channel_messages, args=[channel_id])


# --------------------------------------------------------------------------- drain

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)


class ChannelBusy(Exception):
    """Another worker is answering this user right now (or held the lock longer than we waited)."""


class ChannelLock:
    """A short per-channel lock, renewed by a heartbeat thread while its holder works.

    ``lost`` turns true when a renewal finds the lock gone (Redis lost it, or the holder
    was frozen past the TTL): the holder then stops after the message in hand.
    """

    def __init__(self, channel_id, *, ttl: float = LOCK_TTL_SECONDS, renew_every: float = LOCK_RENEW_SECONDS):
        self.client = redis_client()
        self.key = f"agnt:chat:lock:{channel_id}"
        self.token = uuid.uuid4().hex
        self.ttl_ms = int(ttl * 1000)
        self.renew_every = renew_every
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, *, wait_seconds: float = 0) -> bool:
        deadline = time.monotonic() + wait_seconds
        while not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        self._thread = threading.Thread(target=self._heartbeat, name="chat-lock-heartbeat", daemon=True)
        self._thread.start()
        return True

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                if not self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
                    self.lost = True
                    return
            except Exception:  # noqa: BLE001 - Redis away: the TTL decides, the holder stops after this message
                logger.warning("could not renew %s", self.key, exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            self.client.eval(_RELEASE, 1, self.key, self.token)
        except Exception:  # noqa: BLE001 - it expires on its own within LOCK_TTL_SECONDS
            logger.warning("could not release %s", self.key, exc_info=True)


def _next_message(channel_id) -> Interaction | None:
    """The channel's oldest unanswered message, after recovering a dead holder's (we hold the lock).

    One query in the common case: the unanswered and in-progress rows come together, and
    an in-progress one (an orphan) is recovered first, then looked for again.
    """
    rows = list(
        Interaction.objects.filter(
            channel_id=channel_id,
            direction=InteractionDirection.INBOUND,
            status__in=(InteractionStatus.RECEIVED, InteractionStatus.PROCESSING),
        ).order_by("created_at", "id")[:DRAIN_BATCH]
    )
    orphans = [row for row in rows if row.status == InteractionStatus.PROCESSING]
    if orphans:
        _recover_orphans(channel_id, orphans)
        return _pending(channel_id)
    return rows[0] if rows else None


def _pending(channel_id) -> Interaction | None:
    return (
        Interaction.objects.filter(
            channel_id=channel_id, direction=InteractionDirection.INBOUND, status=InteractionStatus.RECEIVED
        )
        .order_by("created_at", "id")
        .first()
    )


def _has_unanswered(channel_id) -> bool:
    return Interaction.objects.filter(
        channel_id=channel_id, direction=InteractionDirection.INBOUND, status=InteractionStatus.RECEIVED
    ).exists()


def channel_has_pending(*, channel_id) -> bool:
    """Whether the channel has a message nobody answered or is answering (a busy task's check)."""
    return Interaction.objects.filter(
        channel_id=channel_id,
        direction=InteractionDirection.INBOUND,
        status__in=(InteractionStatus.RECEIVED, InteractionStatus.PROCESSING),
    ).exists()


def channel_drain(*, channel_id, wait_seconds: float = 0) -> int:
    """Answer the channel's unanswered messages, oldest first; returns how many were answered.

    Raises ChannelBusy when another holder has the channel: the Celery task does not wait
    (``wait_seconds=0``) but comes back shortly; the blocking web chat waits a little.

    One message per lock hold: the holder answers the oldest message, releases the lock,
    then looks for more (a task that found the lock taken meanwhile went away trusting it
    to) and takes the lock again for the next — one cheap look per message, and the
    guest's channel, user and city are read once per drain.
    """
    lock = ChannelLock(channel_id)
    if not lock.acquire(wait_seconds=wait_seconds):
        raise ChannelBusy(f"channel {channel_id} is busy")
    answered = 0
    channel: UserChannel | None = None
    while True:
        try:
            interaction = _next_message(channel_id)
            if interaction is not None:
                if channel is None:
                    channel = UserChannel.objects.select_related("user", "user__city").get(pk=channel_id)
                interaction.channel = channel
                interaction_process(interaction=interaction)
                answered += 1
        finally:
            lock.release()
        if not _has_unanswered(channel_id):
            return answered
        if answered >= DRAIN_BATCH or lock.lost:
            _enqueue_drain(str(channel_id))  # yield the worker; the rest comes back as a new task
            return answered
        lock = ChannelLock(channel_id)
        if not lock.acquire():
            return answered  # another holder has it, and with it the new message


def _recover_orphans(channel_id, orphans: list[Interaction]) -> None:
    """Messages left ``processing`` by a holder that died (we hold the lock, so it is not running).

    Answered again in order — or, when its reply was already queued before the crash,
    only marked processed, so the guest hears once. Each leaves an ErrorLog row and a metric.
    """
    for orphan in orphans:
        replies = list(Interaction.objects.filter(reply_to=orphan, direction=InteractionDirection.OUTBOUND))
        replied = bool(replies)
        status = InteractionStatus.PROCESSED if replied else InteractionStatus.RECEIVED
        interaction_mark_status(interaction=orphan, status=status)
        for reply in replies:
            if reply.status == InteractionStatus.SENDING:
                # the holder died during the provider call (replies are sent under the lock):
                # send it again now rather than after the ten-minute sweep — the provider may
                # have received it, and a rare duplicate beats silence
                interaction_mark_status(interaction=reply, status=InteractionStatus.QUEUED)
                from messaging.outbound import _send_now

                _send_now(str(reply.pk))
        fault_record(
            kind="worker_lost_mid_message",
            logger_name=__name__,
            message=(
                f"a worker died while answering message {orphan.pk}; "
                + ("its reply had been written, marked processed" if replied else "answered again")
            ),
            context={"interaction_id": str(orphan.pk), "channel_id": str(channel_id), "replied": replied},
        )


# --------------------------------------------------------------------------- one turn


def interaction_process(*, interaction: Interaction) -> list[Interaction]:
    """Answer one inbound message; returns the outbound replies it queued."""
    if not interaction_mark_status(interaction=interaction, status=InteractionStatus.PROCESSING):
        return []
    channel: UserChannel = interaction.channel
    try:
        replies = _answer(interaction, channel)
    except Exception as exc:  # noqa: BLE001 - the turn fails, the user still hears from us
        logger.exception("concierge turn failed for interaction %s", interaction.pk)
        interaction_mark_status(
            interaction=interaction, status=InteractionStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return [_reply(channel, APOLOGY, interaction, source=InteractionSource.SYSTEM)]
    if interaction.status == InteractionStatus.PROCESSING:
        interaction_mark_status(interaction=interaction, status=InteractionStatus.PROCESSED)
    return replies


def _reply(
    channel: UserChannel,
    text: str,
    reply_to: Interaction,
    *,
    source: str = InteractionSource.CONCIERGE,
    payload: dict | None = None,
) -> Interaction:
    from messaging.outbound import reply_send

    return reply_send(channel=channel, text=text, reply_to=reply_to, source=source, payload=payload, send_inline=True)


def _answer(interaction: Interaction, channel: UserChannel) -> list[Interaction]:
    user = channel.user
    text = (interaction.text or "").strip()
    command, _, argument = text.partition(" ")
    command = command.lower().split("@", 1)[0]  # Telegram group syntax: /help@agnt_bot

    if command in {"/start", "/help", "/reset"}:
        if command == "/start":
            referral = _apply_referral(user, argument.strip() or interaction.payload.get("referral_code", ""))
            name = f" {user.display_name.split()[0]}" if user.display_name.strip() else ""
            return [_reply(channel, WELCOME.format(name=name) + _ambassador_line(referral), interaction)]
        if command == "/help":
            return [_reply(channel, HELP, interaction)]
        session_store.history_clear(platform=channel.platform, user_id=user.pk)
        from messaging.tools.confirmation import pending_action_clear

        pending_action_clear(user=user)
        return [_reply(channel, "Done — I've cleared our conversation. What can I do for you?", interaction)]

    ctx = ToolContext(
        user=user, platform=channel.platform, channel=channel, interaction_id=interaction.pk, now=timezone.now()
    )
    from messaging.notifications import taste_follow_reply

    follow_answer = taste_follow_reply(user=user, text=text) if text else None
    if follow_answer:
        return [_reply(channel, follow_answer, interaction, payload={"handled_by": "taste_follow"})]
    typed_code = _typed_ambassador_code(user, text)
    if typed_code:
        return [_reply(channel, typed_code, interaction, payload={"handled_by": "referral_code"})]
    from messaging.tools.confirmation import pending_action_get

    pending = pending_action_get(user=user) if text else None  # read once, used by both checks
    handled = _meal_photo_or_confirmation(ctx, interaction, text, pending)
    if handled is not None:
        return [_reply(channel, handled, interaction, payload={"handled_by": "meal_photo"})]
    answered_pending = _resolve_confirmation(ctx, text, pending)
    if text and not answered_pending:
        # a tap on a reminder/rating button, or "keep" / "cancel" / "rate 4" right after one
        from messaging.booking_replies import booking_reply_handle

        handled = booking_reply_handle(user=user, data=text)
        if handled:
            return [_reply(channel, handled, interaction, payload={"handled_by": "booking_reply"})]
    user_content = _user_content(interaction, text)
    if not user_content:
        interaction_mark_status(interaction=interaction, status=InteractionStatus.IGNORED)
        return []

    from agnt.llm.gateway import run_turn
    from messaging.concierge.dialogue import is_forget_message, remember_tool_calls

    history, ctx.dialogue = session_store.session_load(platform=channel.platform, user_id=user.pk)
    result: TurnResult = run_turn(ctx=ctx, history=history, user_content=user_content)
    if result.provider != "offline":  # the offline planner keeps the dialogue state itself
        remember_tool_calls(ctx.dialogue, result.tool_calls)
    interaction_record_usage(interaction=interaction, tokens_in=result.tokens_in, tokens_out=result.tokens_out)
    _remember_language(user, text, ctx.dialogue)
    if text and not result.refused and not is_forget_message(text):
        # "forget that I'm vegan" must not teach "vegan" again
        _learn(user, text, interaction)
    reply_text = (result.reply_text or "").strip() or "Sorry, I don't have an answer for that yet."
    buttons = _yes_no_buttons(ctx.dialogue) if ctx.dialogue.pop("buttons", False) else None
    session_store.history_save(
        platform=channel.platform, user_id=user.pk, messages=history + result.new_messages, dialogue=ctx.dialogue
    )
    return [
        _reply(
            channel,
            reply_text,
            interaction,
            payload={
                **({"buttons": buttons} if buttons else {}),
                "provider": result.provider,
                "tools": [{"name": call.name, "is_error": call.is_error} for call in result.tool_calls],
                **({"refused": result.refused} if result.refused else {}),
            },
        )
    ]


def _remember_language(user, text: str, dialogue: dict) -> None:
    """Keep the guest's language on their account: the offline planner's detection of this
    turn, or (a model answered) the same detector on the guest's words."""
    from messaging.concierge.language import detect
    from messaging.concierge.messages import guest_language

    language = dialogue.get("language") if isinstance(dialogue, dict) else None
    if not language and text:
        language = detect(text, previous=guest_language(user))
    if language:
        user_language_remember(user=user, language=language)


def _yes_no_buttons(dialogue: dict) -> list[dict[str, str]]:
    """Yes / No buttons under a question that waits for the guest's yes; a tap sends "yes" or "no"."""
    from messaging.concierge.messages import say

    language = dialogue.get("language") or "en"
    return [{"id": "yes", "title": say("yes_button", language)}, {"id": "no", "title": say("no_button", language)}]


def _meal_photo_or_confirmation(
    ctx: ToolContext, interaction: Interaction, text: str, pending: dict | None
) -> str | None:
    """A photo is a meal for the food diary; a reply to a pending meal confirms or corrects it.

    Decided here, before any model turn, so nothing is logged without the guest's yes.
    """
    from messaging import meals

    media = [MediaRef(**item) for item in interaction.payload.get("media", []) if isinstance(item, dict)]
    images = [item for item in media if item.type == "image"]
    if images:
        caption = images[0].caption or text
        return meals.meal_photo_answer(ctx=ctx, media=images[0], caption=caption, interaction_id=interaction.pk)
    if not text:
        return None
    if meals.is_pending_meal(pending):
        return meals.meal_pending_reply(ctx=ctx, action=pending, text=text)
    return None


def _resolve_confirmation(ctx: ToolContext, text: str, pending: dict | None) -> bool:
    """Confirmation is decided here, from the user's own words — never by the model.

    Returns True when the message was a yes or no to the pending action (``pending``).
    """
    from messaging.tools.confirmation import is_affirmative, is_negative, pending_action_clear

    if pending is None or not text:
        return False
    if is_affirmative(text):
        ctx.confirmed_action = pending
        return True
    if is_negative(text):
        pending_action_clear(user=ctx.user)
        return True
    return False


def _user_content(interaction: Interaction, text: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    media = [MediaRef(**item) for item in interaction.payload.get("media", []) if isinstance(item, dict)]
    images = [item for item in media if item.type == "image"]
    if images and settings.LLM_PROVIDER != "offline":
        # the offline planner cannot look at pictures; don't download what nobody reads
        image = _image_block(interaction.platform, images[0])
        if image is not None:
            blocks.append(image)
    if images and not text:
        text = "(photo)" if blocks else "[The user sent a photo without a caption.]"
    if text:
        blocks.append({"type": "text", "text": text[:8000]})
    elif media:
        blocks.append({"type": "text", "text": f"[The user sent a {media[0].type} attachment, which I cannot open.]"})
    return blocks


def _image_block(platform: str, media: MediaRef) -> dict[str, Any] | None:
    import base64

    from messaging.clients import media_bytes

    try:
        fetched = media_bytes(platform, media, MAX_IMAGE_BYTES)
    except Exception:  # noqa: BLE001 - an image we cannot fetch is skipped, the text still answered
        logger.warning("could not fetch %s image %s", platform, media.provider_id or media.url, exc_info=True)
        return None
    if not fetched:
        return None
    data, mime = fetched
    if mime not in {"image/jpeg", "image/png", "image/gif", "image/webp"}:
        mime = "image/jpeg"
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": mime, "data": base64.b64encode(data).decode("ascii")},
    }


def _apply_referral(user, code: str):
    """Attribute the user to a referral code (a user's or a city ambassador's); the Referral or None."""
    code = code.strip()[:24]
    if not code:
        return None
    from billing.services import ReferralError, referral_create

    try:
        return referral_create(referred=user, code=code)
    except ReferralError as exc:
        logger.info("referral code %r not applied for %s: %s", code, user.pk, exc)
        return None


def _ambassador_line(referral) -> str:
    ambassador = getattr(referral, "ambassador", None)
    if ambassador is None:
        return ""
    person = ambassador.user.display_name or ambassador.user.get_username()
    return f"\n\nYou joined through {person}, AGNT's ambassador in {ambassador.city.name}. Welcome!"


def _typed_ambassador_code(user, text: str) -> str | None:
    """A message that is just an active ambassador's referral code attributes the user to them."""
    if not text or " " in text or len(text) > 24:
        return None
    from venues.models import AmbassadorStatus, CityAmbassador

    if not CityAmbassador.objects.filter(referral_code__iexact=text, status=AmbassadorStatus.ACTIVE).exists():
        return None
    referral = _apply_referral(user, text)
    if referral is None:
        return "Thanks! You're already signed up through a referral code, so I've kept that one."
    return _ambassador_line(referral).strip()


def _learn(user, text: str, interaction: Interaction) -> None:
    """Passive memory: preferences stated in passing ("I'm vegetarian") are remembered."""
    from knowledge.memory import user_memory_learn_from_message

    try:
        user_memory_learn_from_message(user=user, text=text, interaction_id=interaction.pk)
    except Exception:  # noqa: BLE001 - memory is best effort; the reply matters more
        logger.warning("memory extraction failed for interaction %s", interaction.pk, exc_info=True)


def replies_to(interaction: Interaction) -> list[Interaction]:
    return list(Interaction.objects.filter(reply_to=interaction).order_by("created_at", "id"))
