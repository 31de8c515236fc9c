"""Intents by meaning: when the planner's rules find no intent, the local MiniLM embeddings
(knowledge.embeddings, offline, no API key) rank a small labelled set of example phrases,
so a paraphrase ("am I booked anywhere this week?", "should I bring an umbrella?") lands on
the intent its words never name.

The example embeddings are computed once per process (a few hundred ms with the model
load); a message then costs one embedding (a few ms). Only intents that need nothing more
than the message itself are offered, and only above a similarity threshold with a margin
over the runner-up: a wrong intent is worse than the help text.
"""

from __future__ import annotations

import threading

import numpy as np

EXAMPLES: dict[str, tuple[str, ...]] = {
    "list_bookings": (
        "am I booked anywhere this week",
        "which tables have you reserved for me",
        "what reservations are under my name",
        "where am I eating, what did you book for me",
        "show me what I have coming up",
        "remind me what plans I've got",
    ),
    "recall": (
        "what have you got on me",
        "tell me what you've learned about my tastes",
        "which of my preferences do you keep",
        "what info do you store about me",
    ),
    "weather": (
        "should I bring an umbrella",
        "is it going to pour later",
        "will it be wet this afternoon",
        "how warm will it be tomorrow",
        "is it a good day for the beach, sky wise",
    ),
    # a question about the venue the conversation is on (answered only when one is in focus)
    "venue_question": (
        "do they take credit cards",
        "is there wifi there",
        "can I bring my children",
        "is there somewhere to park",
        "what should I wear there",
        "do I have to pay a deposit",
        "is it ok to bring a dog",
        "can we smoke there",
        "do they have a high chair for the baby",
    ),
    "help": (
        "what can you do",
        "how does this work",
        "who are you",
        "hello there",
        "what's up",
    ),
}
# The same intents in the other languages guests write in. all-MiniLM-L6-v2 is English-
# trained: it still places a message near examples in its own language (shared words,
# shared word pieces), so each language gets its own labelled phrases (bench/meaning_languages.py
# measured the choice; the figures are in bench/README.md).
EXAMPLES_BY_LANGUAGE: dict[str, dict[str, tuple[str, ...]]] = {
    "id": {
        "list_bookings": (
            "booking saya apa saja",
            "reservasi saya minggu ini di mana",
            "saya sudah pesan meja di mana",
            "tunjukkan pesanan meja saya",
            "rencana makan saya yang akan datang",
            "kamu sudah reservasi apa untuk saya",
        ),
        "recall": (
            "apa yang kamu ingat tentang saya",
            "kamu tahu apa tentang saya",
            "preferensi saya yang kamu simpan",
            "informasi apa yang kamu punya tentang saya",
        ),
        "weather": (
            "apakah akan hujan",
            "bagaimana cuaca hari ini",
            "perlu payung tidak",
            "besok cerah atau hujan",
            "suhu besok berapa",
        ),
        "venue_question": (
            "bisa bayar pakai kartu",
            "di sana ada wifi tidak",
            "boleh bawa anak kecil",
            "ada tempat parkir mobil",
            "harus pakai baju apa ke sana",
            "perlu bayar uang muka",
            "boleh bawa anjing",
        ),
        "help": ("kamu bisa bantu apa", "bagaimana cara pakainya", "siapa kamu", "halo"),
    },
    "ru": {
        "list_bookings": (
            "мои брони",
            "какие у меня бронирования",
            "где я забронировал столик",
            "покажи мои заказы столиков",
            "куда у меня бронь на этой неделе",
            "что ты для меня забронировал",
        ),
        "recall": (
            "что ты помнишь обо мне",
            "что ты знаешь про меня",
            "какие мои предпочтения ты сохранил",
            "какие данные обо мне у тебя есть",
        ),
        "weather": (
            "будет ли дождь",
            "какая сегодня погода",
            "нужен ли зонт",
            "завтра будет солнечно или дождливо",
            "какая температура завтра",
        ),
        "venue_question": (
            "можно расплатиться картой",
            "там есть вайфай",
            "можно прийти с ребенком",
            "есть ли там парковка",
            "в чем туда можно прийти",
            "нужна ли предоплата",
            "можно прийти с собакой",
        ),
        "help": ("что ты можешь", "как тобой пользоваться", "кто ты", "привет"),
    },
    "de": {
        "list_bookings": (
            "meine Buchungen",
            "welche Reservierungen habe ich",
            "wo habe ich einen Tisch reserviert",
            "zeig mir meine Reservierungen",
            "was habe ich diese Woche gebucht",
            "was hast du für mich reserviert",
        ),
        "recall": (
            "was merkst du dir über mich",
            "was weißt du von mir",
            "welche Vorlieben von mir kennst du",
            "welche Informationen hast du über mich",
        ),
        "weather": (
            "wird es regnen",
            "wie ist das Wetter heute",
            "brauche ich einen Schirm",
            "wird es morgen sonnig oder regnerisch",
            "wie viel Grad hat es morgen",
        ),
        "venue_question": (
            "kann man dort mit Karte zahlen",
            "gibt es dort WLAN",
            "darf ich mein Kind mitbringen",
            "kann man dort parken",
            "was soll ich dort anziehen",
            "muss man eine Anzahlung leisten",
            "darf man den Hund mitbringen",
        ),
        "help": ("was kannst du", "wie benutze ich dich", "wer bist du denn", "hallo"),
    },
}
THRESHOLD = 0.6
MARGIN = 0.05

_lock = threading.Lock()
_cache: dict[str, tuple[list[str], np.ndarray]] = {}


def _examples(language: str = "en") -> tuple[list[str], np.ndarray]:
    """The labelled examples a message in ``language`` is ranked against, embedded once per
    process: English always, plus the language's own."""
    language = language if language in EXAMPLES_BY_LANGUAGE else "en"
    if language not in _cache:
        with _lock:
            if language not in _cache:
                from knowledge.embeddings import LocalMiniLMProvider

                sets = [EXAMPLES] + ([EXAMPLES_BY_LANGUAGE[language]] if language != "en" else [])
                labels = [intent for examples in sets for intent, phrases in examples.items() for _ in phrases]
                texts = [phrase for examples in sets for phrases in examples.values() for phrase in phrases]
                _cache[language] = labels, LocalMiniLMProvider().embed(texts)
    return _cache[language]


def rank(text: str, *, language: str = "en") -> str | None:
    """The intent (``help`` included) whose examples ``text`` is closest to, when it is close
    enough and clearly ahead of the runner-up; else None."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        return None
    try:
        from knowledge.embeddings import LocalMiniLMProvider

        labels, examples = _examples(language)
        scores = examples @ LocalMiniLMProvider().embed([text])[0]
    except Exception:  # noqa: BLE001 - no model means no guess, never a broken reply
        return None
    best: dict[str, float] = {}
    for label, score in zip(labels, scores, strict=True):
        best[label] = max(best.get(label, -1.0), float(score))
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    (intent, score), runner_up = ranked[0], ranked[1][1]
    if score < THRESHOLD or score - runner_up < MARGIN:
        return None
    return intent


def intent_by_meaning(text: str, *, language: str = "en") -> str | None:
    """The intent whose examples ``text`` (written in ``language``) is closest to, or None
    (help included: the caller then answers with its own help text). ``venue_question``: a
    question about a venue's facilities or rules, for the venue the conversation is on."""
    intent = rank(text, language=language)
    return None if intent == "help" else intent
