"""Measurement: how well the local MiniLM (English-trained) finds a concierge intent by
meaning in Indonesian, Russian and German, three ways, on held-out phrases.

Run with ``.venv/bin/python bench/meaning_languages.py`` (~1 minute; it reads no table, but
Django's settings start the embedded servers, under ``.data/bench`` as for the other
benchmarks, and it stops them at the end). For each
language, the held-out phrases below (paraphrases the planner's rules do not catch, plus
off-topic messages that must get no intent) are ranked against labelled examples:

- ``raw``: the message as written against the English examples (the model alone);
- ``lexicon``: the message through the phrase lexicon (``language.to_english``) first;
- ``examples``: the message as written against the English examples plus labelled examples
  written in its own language (messaging/concierge/meaning.py ``EXAMPLES_BY_LANGUAGE``);
- ``both``: the lexicon first, against English and own-language examples.

A phrase counts as right when the ranked intent (with the threshold and margin the planner
uses) is its label, or no intent for an off-topic message. The figures decided which path
messaging/concierge/meaning.py takes; bench/README.md has them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Held out: none of these is one of the labelled examples.
HELD_OUT: dict[str, dict[str, tuple[str, ...]]] = {
    "id": {
        "list_bookings": (
            "saya sudah reservasi di mana saja minggu ini",
            "tempat mana yang sudah kamu pesankan untuk saya",
            "apa saja rencana makan saya nanti",
            "saya ada janji makan di mana besok",
            "meja apa yang sudah dipesan atas nama saya",
        ),
        "recall": (
            "apa yang kamu tahu tentang saya",
            "selera saya apa saja yang kamu simpan",
            "data apa yang kamu simpan tentang saya",
            "kamu ingat apa soal kesukaan saya",
        ),
        "weather": (
            "perlu bawa payung nggak",
            "apakah nanti sore bakal hujan deras",
            "besok panas atau tidak",
            "cuaca besok bagaimana",
            "langitnya cerah nggak hari ini",
        ),
        "help": ("kamu bisa apa saja", "ini cara kerjanya bagaimana", "kamu siapa"),
        None: ("kucing saya suka tidur di sofa", "harga bensin naik lagi", "anak saya mulai sekolah minggu depan"),
    },
    "ru": {
        "list_bookings": (
            "где у меня забронировано на этой неделе",
            "какие столики ты для меня заказал",
            "какие у меня планы на ближайшие дни",
            "что ты уже забронировал на моё имя",
            "куда я иду ужинать, что ты заказал",
        ),
        "recall": (
            "что ты обо мне знаешь",
            "какие мои предпочтения ты помнишь",
            "какую информацию обо мне ты хранишь",
            "что ты узнал о моих вкусах",
        ),
        "weather": (
            "брать ли зонтик",
            "будет ли ливень вечером",
            "насколько тепло будет завтра",
            "какая завтра погода",
            "солнечно ли сегодня",
        ),
        "help": ("что ты умеешь делать", "как это работает", "кто ты такой"),
        None: ("мой кот любит спать на диване", "цены на бензин снова выросли", "сын идёт в школу на следующей неделе"),
    },
    "de": {
        "list_bookings": (
            "wo habe ich diese Woche reserviert",
            "welche Tische hast du für mich bestellt",
            "was steht bei mir demnächst an",
            "was hast du auf meinen Namen gebucht",
            "wo esse ich heute Abend, was hast du reserviert",
        ),
        "recall": (
            "was weißt du über mich",
            "welche meiner Vorlieben hast du gespeichert",
            "welche Daten speicherst du über mich",
            "was hast du über meinen Geschmack gelernt",
        ),
        "weather": (
            "soll ich einen Regenschirm mitnehmen",
            "wird es später schütten",
            "wie warm wird es morgen",
            "wie wird das Wetter morgen",
            "scheint heute die Sonne",
        ),
        "help": ("was kannst du alles", "wie funktioniert das hier", "wer bist du"),
        None: (
            "meine Katze schläft gern auf dem Sofa",
            "die Benzinpreise sind wieder gestiegen",
            "mein Sohn kommt nächste Woche in die Schule",
        ),
    },
}
WAYS = ("raw", "lexicon", "examples", "both")


def measure() -> dict[str, dict[str, tuple[int, int]]]:
    from messaging.concierge import meaning
    from messaging.concierge.language import to_english
    from venues.textparse import normalize

    figures: dict[str, dict[str, tuple[int, int]]] = {}
    for language, labelled in HELD_OUT.items():
        figures[language] = {}
        for way in WAYS:
            right = total = 0
            for label, phrases in labelled.items():
                for phrase in phrases:
                    text = normalize(to_english(phrase, language)) if way in ("lexicon", "both") else phrase
                    examples_language = language if way in ("examples", "both") else "en"
                    got = meaning.rank(text, language=examples_language)
                    right += got == label
                    total += 1
            figures[language][way] = (right, total)
    return figures


def main() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {
            "AGNT_DATA_DIR": str(REPO / ".data" / "bench"),
            "AGNT_TESTING": "true",
            "DJANGO_SETTINGS_MODULE": "agnt.settings",
        }
    )
    import django

    django.setup()
    try:
        figures = measure()
    finally:
        from agnt import devinfra

        devinfra.stop_redis()
        devinfra.stop_postgres()
    print("intent by meaning, held-out phrases right / total (threshold and margin as in the planner)")
    print("language | " + " | ".join(f"{way:>9}" for way in WAYS))
    for language, row in figures.items():
        print(f"{language:8} | " + " | ".join(f"{r:>3}/{t:<3} {r / t:4.0%}" for r, t in (row[w] for w in WAYS)))


if __name__ == "__main__":
    main()
