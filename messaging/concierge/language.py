"""The guest's language: detected per message (English, Indonesian, Russian, German), and the
words the offline planner needs read in English.

Detection is lingua-language-detector restricted to the four languages Bali's guests write
in (fast and accurate on short messages). The planner reads a message through
:func:`to_english`, a phrase lexicon for the words that carry a concierge request (verbs,
kinds of place, days, times, party sizes, yes/no) — venue names and place names stay as
written, Russian place names are transliterated. Replies come from the per-language
templates in ``messaging.concierge.messages``.
"""

from __future__ import annotations

import re
from functools import lru_cache

LANGUAGES = ("en", "id", "ru", "de")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.INDONESIAN, Language.RUSSIAN, Language.GERMAN
    ).build()


_CODES = {"ENGLISH": "en", "INDONESIAN": "id", "RUSSIAN": "ru", "GERMAN": "de"}
_ID_MARKERS = re.compile(
    r"\b(cari|carikan|di|yang|untuk|besok|jam|orang|meja|pesan|pesankan|apakah|ada|murah|makan|malam|siang|kafe|"
    r"restoran|tolong|saya|aku|mau|bisa|hari|ini|batalkan|batal|buka|dimana|mana|terima|kasih|kosong|lusa|nanti|"
    r"boleh|bawa|anak|kecil|bayar|kartu|tunai|parkir|pakai|enak|tutup|mereka|sana|kalau|batalin|pesenin|tadi|jadi|gak|nggak|enggak|aja|dong|deh|udah|sudah)\b"
)
_DE_MARKERS = re.compile(
    r"\b(ich|suche|bitte|morgen|uhr|für|personen|tisch|reservier\w*|heute|abend|einen|eine|ein|bei|und|wir|frei|"
    r"hat|gibt|es|wo|ist|am|um|zum|essen|danke|nicht|stornier\w*|öffnungszeiten|freitag|samstag|sonntag|montag|"
    r"du|dich|mich|mir|über|weißt|kannst|wie|wetter|meine|erinnere|vegane|veganes|veganen|vegetarisch\w*|gutes|gute|"
    r"offen|geöffnet|geschlossen|dienstag|mittwoch|donnerstag|parkplätze|parkplatz|kleiderordnung|indisch\w*|"
    r"wann|kann|können|oder|kinder|passt|genau|stimmt|dritt|viert|zweit|dann|buchen|buche|nehmen|nimm)\b"
)


def detect(text: str, *, previous: str | None = None, hint: str | None = None) -> str:
    """The language of ``text`` (en, id, ru, de); short or unclear messages keep ``previous``.

    ``hint`` is the language the guest's app reports (Telegram's language_code): one word of
    that language in an otherwise English-looking message is enough.
    """
    text = (text or "").strip()
    if not text:
        return previous or "en"
    if re.search(r"[а-яё]", text, re.IGNORECASE):
        return "ru"
    lower = text.lower()
    words = re.findall(r"[^\W\d_]+", lower)
    id_hits = len(_ID_MARKERS.findall(lower))
    de_hits = len(_DE_MARKERS.findall(lower))
    if hint == "de" and de_hits:
        return "de"
    if hint == "id" and id_hits:
        return "id"
    if len(words) < 3:
        if id_hits and not de_hits:
            return "id"
        if de_hits and not id_hits and re.search(r"[äöüß]|\b(ja|nein|danke|bitte)\b", lower):
            return "de"
        return previous or "en"
    language = _detector().detect_language_of(text)
    code = _CODES.get(getattr(language, "name", ""), previous or "en")
    # a request with no word of the language lingua guessed is English with Bali names in it
    if (code == "id" and not id_hits) or (code == "de" and not de_hits):
        code = "en"
    # lingua is unsure on a few Bali-English hybrids ("cari beach club di Seminyak"): the markers decide
    if code == "en" and id_hits >= 2:
        return "id"
    if code == "en" and de_hits >= 3:
        return "de"
    return code


# Phrase → English, longest first. Applied to the lower-cased message before the planner parses it.
_LEXICON: dict[str, dict[str, str]] = {
    "id": {
        "carikan": "find",
        "cari": "find",
        "cariin": "find",
        "tempat makan": "restaurant",
        "rumah makan": "restaurant",
        "restoran": "restaurant",
        "kafe": "cafe",
        "warung kopi": "cafe",
        "makan malam": "dinner",
        "makan siang": "lunch",
        "sarapan": "breakfast",
        "pantai": "beach",
        "murah": "cheap",
        "pijat refleksi": "reflexology",
        "pijat": "massage",
        "pijet": "massage",
        "luluran": "body scrub",
        "prakiraan cuaca": "weather forecast",
        "cuaca": "weather",
        "pesankan meja": "book a table",
        "pesan meja": "book a table",
        "reservasi meja": "book a table",
        "reservasi": "book",
        "pesan": "book",
        # "book it" after a table check ("oke, pesan aja", "bagus, ambil aja")
        "pesan aja": "book it",
        "pesankan": "book",
        "pesenin": "book",
        "bookingkan": "book",
        "lanjut pesan": "go ahead and book",
        "lanjut booking": "go ahead and book",
        "pesan saja": "book it",
        "pesankan aja": "book it",
        "booking aja": "book it",
        "ambil aja": "take it",
        "ambil saja": "take it",
        "ambil": "take",
        "bagus": "great",
        "mantap": "great",
        "oke": "ok",
        "sekarang": "now",
        "booking saya": "my booking",
        "pesanan saya": "my booking",
        "batalkan": "cancel",
        "batalin": "cancel",
        "apakah": "is",
        "ada meja kosong": "free",
        "masih ada meja": "any tables",
        "ada meja": "any tables",
        "masih ada tempat": "any space",
        "meja kosong": "free",
        "kosong": "free",
        "tersedia": "available",
        "hari ini": "today",
        "malam ini": "tonight",
        "besok lusa": "day after tomorrow",
        "lusa": "day after tomorrow",
        "besok": "tomorrow",
        "hari senin": "monday",
        "hari selasa": "tuesday",
        "hari rabu": "wednesday",
        "hari kamis": "thursday",
        "hari jumat": "friday",
        "hari sabtu": "saturday",
        "hari minggu": "sunday",
        "senin": "monday",
        "selasa": "tuesday",
        "rabu": "wednesday",
        "kamis": "thursday",
        "jumat": "friday",
        "sabtu": "saturday",
        "minggu": "sunday",
        "jam buka": "opening hours",
        "jam": "at",
        "pukul": "at",
        "malam": "{pm}",
        "sore": "{afternoon}",
        "pagi": "{am}",
        "pagi ini": "this morning",
        "sore ini": "this afternoon",
        "siang ini": "this afternoon",
        "untuk": "for",
        "orang": "people",
        "dua": "two",
        "tiga": "three",
        "empat": "four",
        "lima": "five",
        "enam": "six",
        "di": "in",
        "dekat": "near",
        "yang": "",
        "murah meriah": "cheap",
        "lebih murah": "cheaper",
        "ceritakan lebih lanjut": "tell me more",
        "info lebih lanjut": "more info",
        "ramah anak": "kid-friendly",
        "tolong diingat": "please remember",
        "diingat": "remember",
        "keluarga": "family",
        "kami": "we",
        "saja": "only",
        "hujan": "rain",
        "pemula": "beginner",
        "les selancar": "surf lessons",
        "kursus selancar": "surf lessons",
        "les surfing": "surf lessons",
        "belajar surfing": "learn to surf",
        "belajar selancar": "learn to surf",
        "taman bermain": "playground",
        "tempat bermain": "playground",
        "tolong": "please",
        "saya": "i",
        "aku": "i",
        "vegetarian": "vegetarian",
        "terima kasih": "thanks",
        "makasih": "thanks",
        "dimana": "where is",
        "alamat": "address",
        "utk": "for",
        "buat": "for",
        "org": "people",
        "ingatkan saya untuk": "remind me to",
        "ingatkan saya": "remind me",
        "ingatkan aku": "remind me",
        "ingetin saya": "remind me",
        "ingetin aku": "remind me",
        "ingatkan": "remind",
        "ingetin": "remind",
        "jam berapa": "what time",
        "buka": "open",
        "tutup": "close",
        "anak-anak": "kids",
        "anak": "kids",
        "boleh": "allowed",
        "ganti jadi": "change to",
        "ganti": "change",
        "bawa": "bring",
        "dewasa": "adults",
        # "batalkan bookingnya": the booking just talked about
        "bookingnya": "the booking",
        "reservasinya": "the reservation",
        "pesanannya": "the booking",
        # ordinals of a list just shown: "yang kedua aja"
        "pertama": "first",
        "kedua": "second",
        "ketiga": "third",
        "terakhir": "last",
        "bayar": "pay",
        "kartu kredit": "credit card",
        "kartu": "card",
        "tunai": "cash",
        "pakai": "with",
        "tempat parkir": "parking",
        "parkir": "parking",
        "uang muka": "deposit",
        "aturan berpakaian": "dress code",
        "kode berpakaian": "dress code",
        "sampai jam berapa": "until what time",
        "mereka": "they",
        "di sana": "there",
        "tempat itu": "that place",
        "dan": "and",
        "kalau": "what about",
        "makanan": "food",
        "masakan": "food",
        "thailand": "thai",
        "india": "indian",
        "jepang": "japanese",
        "italia": "italian",
        "enak": "good",
        "umur": "age",
        "usia": "age",
        "anjing": "dog",
        # "berdua" = the two of us, "bertiga" = three of us ...
        "berdua": "2 people",
        "bertiga": "3 people",
        "berempat": "4 people",
        "berlima": "5 people",
        "berenam": "6 people",
        "sendirian": "just me",
        "suami": "husband",
        "bersama": "with",
        "dengan": "with",
        "ibu saya": "my mother",
        "ibuku": "my mother",
        "ayah saya": "my father",
        "ayahku": "my father",
        "istri": "wife",
        "pacar": "girlfriend",
        "teman": "friend",
    },
    "ru": {
        "прогноз погоды": "weather forecast",
        "погод": "weather",
        "найди": "find",
        "найти": "find",
        "ищу": "find",
        "посоветуй": "recommend",
        "подскажи": "recommend",
        "забронируй столик": "book a table",
        "забронировать столик": "book a table",
        "забронируй": "book",
        "забронировать": "book",
        # "book it" after a table check ("отлично, бронируй", "супер, берём")
        "бронируй": "book it",
        "бронируем": "book it",
        "запиши меня": "book me",
        "запишите меня": "book me",
        "запиши нас": "book us",
        "запишите нас": "book us",
        "записаться": "book",
        "оформляй": "book it",
        "берём": "take it",
        "берем": "take it",
        "бери": "take it",
        "отлично": "great",
        "супер": "great",
        "хорошо": "ok",
        "тогда": "then",
        "бронь": "booking",
        "столик": "table",
        "ресторан": "restaurant",
        "ресторана": "restaurant",
        "рестораны": "restaurants",
        "кафе": "cafe",
        "кофейн": "cafe",
        "пляжный клуб": "beach club",
        "пляжные клубы": "beach clubs",
        "бар": "bar",
        "спа": "spa",
        "йога": "yoga",
        "ужин": "dinner",
        "поужинать": "dinner",
        "обед": "lunch",
        "завтрак": "breakfast",
        "дешев": "cheap",
        "недорог": "cheap",
        "подешевле": "cheaper",
        "расскажи подробнее": "tell me more",
        "подробнее": "more details",
        "дешевле": "cheaper",
        "детская площадка": "playground",
        "детской площадк": "playground",
        "дожд": "rain",
        "уроки серфинга": "surf lessons",
        "урок серфинга": "surf lessons",
        "школа серфинга": "surf school",
        "начинающ": "beginner",
        "новичк": "beginner",
        "сегодня вечером": "tonight",
        "сегодня": "today",
        "послезавтра": "day after tomorrow",
        "завтра": "tomorrow",
        "в понедельник": "monday",
        "во вторник": "tuesday",
        "в среду": "wednesday",
        "в четверг": "thursday",
        "в пятницу": "friday",
        "в субботу": "saturday",
        "в воскресенье": "sunday",
        "понедельник": "monday",
        "вторник": "tuesday",
        "среду": "wednesday",
        "четверг": "thursday",
        "пятниц": "friday",
        "суббот": "saturday",
        "воскресень": "sunday",
        "нас ": "we are ",
        "двое": "2",
        "трое": "3",
        "четверо": "4",
        "пятеро": "5",
        "шестеро": "6",
        "семеро": "7",
        "на одного": "for 1",
        "на пятерых": "for 5",
        "на шестерых": "for 6",
        "я один": "just me",
        "я одна": "just me",
        "только я": "just me",
        "с женой": "with my wife",
        "с мужем": "with my husband",
        "с девушкой": "with my girlfriend",
        "с парнем": "with my boyfriend",
        "с другом": "with my friend",
        "с подругой": "with my friend",
        "с мамой": "with my mum",
        "с ребенком": "with 1 kid",
        # the people of a party in other cases ("для меня и мужа", "меня с женой")
        "для": "for",
        "меня": "me",
        "мужа": "my husband",
        "брата": "my brother",
        "сестры": "my sister",
        "сестру": "my sister",
        "с сестрой": "with my sister",
        "с братом": "with my brother",
        "двоих": "2 people",
        "троих": "3 people",
        "четверых": "4 people",
        "пятерых": "5 people",
        "мужу": "my husband",
        "жену": "my wife",
        "жены": "my wife",
        "жене": "my wife",
        "мамы": "my mum",
        "маму": "my mum",
        "мамой": "my mum",
        "папы": "my dad",
        "папой": "my dad",
        "подруги": "my friend",
        "подругу": "my friend",
        "с ребёнком": "with 1 kid",
        "на двоих": "for 2",
        "на троих": "for 3",
        "на четверых": "for 4",
        "человек": "people",
        "свободн": "free",
        # "есть места в X в четверг?": a table check
        "есть ли места": "is there any space",
        "есть места": "any space",
        "есть ли столик": "is there any tables",
        "есть столик": "any tables",
        "есть ли": "is",
        "отмени": "cancel",
        "мои брони": "my bookings",
        "мои бронирования": "my bookings",
        "часы работы": "opening hours",
        "где находится": "where is",
        "привет": "hi",
        "здравствуйте": "hi",
        "что ты умеешь": "what can you do",
        "спасибо": "thanks",
        "убуд": "ubud",
        "семиньяк": "seminyak",
        "чангу": "canggu",
        "улувату": "uluwatu",
        "санур": "sanur",
        "напомни": "remind",
        "запомни": "remember",
        "у меня аллергия на ": "i am allergic to ",
        "аллергия на ": "allergic to ",
        "аллерги": "allergic",
        "веган": "vegan",
        "вегетариан": "vegetarian",
        "мне": "me",
        "утр": "{am}",
        "вечер": "{pm}",
        "днём": "{afternoon}",
        "днем": "{afternoon}",
        "во сколько": "what time",
        "открыва": "open",
        "закрыва": "close",
        "с детьми": "with kids",
        "дет": "kids",
        "можно": "can",
        "мою": "my",
        "лучше": "instead",
        "взросл": "adults",
        # ordinals of a list just shown: "давайте первый", "вторую"
        "перв": "first",
        "второ": "second",
        "вторую": "second",
        "вторая": "second",
        "трет": "third",
        "последн": "last",
        "ребен": "kid",
        "ребён": "kid",
        "сын": "son",
        "дочь": "daughter",
        "дочк": "daughter",
        "где поесть": "where to eat",
        "где": "where",
        "поесть": "eat",
        "еду": "food",
        "еда": "food",
        "еды": "food",
        "тайск": "thai",
        "индийск": "indian",
        "итальянск": "italian",
        "японск": "japanese",
        "мексиканск": "mexican",
        "китайск": "chinese",
        "балийск": "balinese",
        "индонезийск": "indonesian",
        "морепродукт": "seafood",
        "суши": "sushi",
        "пицц": "pizza",
        "они": "they",
        "у них": "they have",
        "там": "there",
        "а ": "and ",
        "и ": "and ",
        "работает": "open",
        "работают": "open",
        "открыт": "open",
        "закрыт": "closed",
        "выходной": "closed",
        "дресс-код": "dress code",
        "дресскод": "dress code",
        "парковк": "parking",
        "оплат": "pay",
        "картой": "card",
        "карту": "card",
        "карты": "card",
        "наличн": "cash",
        "депозит": "deposit",
        "предоплат": "deposit",
        "вайфай": "wifi",
        "вай-фай": "wifi",
        "интернет": "wifi",
        "что за место": "tell me about",
        "какой": "what",
        "какая": "what",
        "какое": "what",
        "какие": "what",
        "до скольки": "until what time",
        "собак": "dog",
        "в ": "in ",
        " в": " at",
        "на ": "for ",
    },
    "de": {
        "ich suche": "find",
        "suche": "find",
        "finde": "find",
        "empfiehl": "recommend",
        "reserviere einen tisch": "book a table",
        "reservier einen tisch": "book a table",
        "reservieren": "book",
        "reservier": "book",
        # "book it" after a table check ("super, dann buchen", "prima, nehmen wir")
        "buch es": "book it",
        "buche es": "book it",
        "reservier es": "book it",
        "reserviere es": "book it",
        "nehmen wir": "take it",
        "machen wir": "let's do it",
        "uns zwei": "2 people",
        "uns beide": "2 people",
        "wir zwei": "2 people",
        "wir beide": "2 people",
        "uns drei": "3 people",
        "wir drei": "3 people",
        "wir nehmen es": "take it",
        "nimm es": "take it",
        "mach das": "do it",
        "mach es": "do it",
        "dann": "then",
        "prima": "great",
        "toll": "great",
        "klasse": "great",
        "perfekt": "perfect",
        "erinnere mich": "remind me",
        "bitte merken": "please remember",
        "merk dir": "remember",
        "merken": "remember",
        "ich bin": "i am",
        "vegetarier": "vegetarian",
        "vegetarierin": "vegetarian",
        "veganer": "vegan",
        "veganerin": "vegan",
        "vegan": "vegan",
        "vegane": "vegan",
        "veganes": "vegan",
        "allergisch gegen": "allergic to",
        "allergisch": "allergic",
        "wlan": "wifi",
        "erinnere": "remind",
        "erwachsene": "adults",
        # nuts, for allergies and menus: "nussfreie Optionen", "Nussallergie"
        "nussfreie": "nut-free",
        "nussfreies": "nut-free",
        "nussfrei": "nut-free",
        "nussallergie": "nut allergy",
        "erdnussallergie": "peanut allergy",
        "erdnüsse": "peanuts",
        "nüsse": "nuts",
        # ordinals of a list just shown: "den zweiten bitte"
        "erste": "first",
        "ersten": "first",
        "erstes": "first",
        "erster": "first",
        "zweite": "second",
        "zweiten": "second",
        "zweites": "second",
        "zweiter": "second",
        "dritte": "third",
        "dritten": "third",
        "drittes": "third",
        "dritter": "third",
        "letzte": "last",
        "letzten": "last",
        "letztes": "last",
        "letzter": "last",
        "kinder": "kids",
        "buchung": "booking",
        "meine": "my",
        "lieber": "instead",
        "reserviere": "book",
        "buche": "book",
        "buchen": "book",
        "einen tisch": "a table",
        "tisch": "table",
        "restaurant": "restaurant",
        "café": "cafe",
        "abendessen": "dinner",
        "mittagessen": "lunch",
        "frühstück": "breakfast",
        "günstig": "cheap",
        "billig": "cheap",
        "günstiger": "cheaper",
        "erzähl mir mehr": "tell me more",
        "erzähl mehr": "tell me more",
        "erzählen sie mehr": "tell me more",
        "mehr über": "more about",
        "mehr infos": "more info",
        "mehr details": "more details",
        "günstigere": "cheaper",
        "günstigeres": "cheaper",
        "günstigeren": "cheaper",
        "billiger": "cheaper",
        "billigere": "cheaper",
        "billigeres": "cheaper",
        "billigeren": "cheaper",
        "preiswerter": "cheaper",
        "preiswert": "cheap",
        "kinderfreundlich": "kid-friendly",
        "kinderfreundliche": "kid-friendly",
        "kinderfreundliches": "kid-friendly",
        "kinderfreundlichen": "kid-friendly",
        "familienfreundlich": "family-friendly",
        "familienfreundliche": "family-friendly",
        "familienfreundliches": "family-friendly",
        "zum frühstücken": "for breakfast",
        "frühstücken": "breakfast",
        "wir suchen": "find",
        "surfkurs": "surf lessons",
        "surfkurse": "surf lessons",
        "surfunterricht": "surf lessons",
        "surfstunde": "surf lessons",
        "surfstunden": "surf lessons",
        "surfschule": "surf school",
        "surfen lernen": "learn to surf",
        "anfänger": "beginner",
        "anfängerin": "beginner",
        "anfängern": "beginner",
        "spielplatz": "playground",
        "regen": "rain",
        "regnet": "rain",
        "regnen": "rain",
        "heute abend": "tonight",
        "heute": "today",
        "übermorgen": "day after tomorrow",
        "morgen": "tomorrow",
        "am montag": "monday",
        "am dienstag": "tuesday",
        "am mittwoch": "wednesday",
        "am donnerstag": "thursday",
        "am freitag": "friday",
        "am samstag": "saturday",
        "am sonntag": "sunday",
        "freitag": "friday",
        "samstag": "saturday",
        "sonntag": "sunday",
        "uhr": "o'clock",
        "personen": "people",
        "für": "for",
        "zwei": "two",
        "drei": "three",
        "vier": "four",
        "fünf": "five",
        "sechs": "six",
        "eins": "1",
        "sieben": "7",
        "acht": "8",
        "neun": "9",
        "zehn": "10",
        "elf": "11",
        "zwölf": "12",
        "abends": "{pm}",
        "heute morgen": "this morning",
        "heute früh": "this morning",
        "morgen früh": "tomorrow morning",
        "heute nachmittag": "this afternoon",
        "vormittags": "{am}",
        "am abend": "in the evening",
        "abend": "evening",
        "morgens": "{am}",
        "nachmittags": "{afternoon}",
        "nachmittag": "afternoon",
        "wir sind": "we are",
        "nur ich": "just me",
        "allein": "just me",
        "mit": "with",
        "und": "and",
        "und ich": "and i",
        "meine frau": "my wife",
        "meiner frau": "my wife",
        "mein mann": "my husband",
        "meinem mann": "my husband",
        "meine freundin": "my girlfriend",
        "meiner freundin": "my girlfriend",
        "mein freund": "my boyfriend",
        "meinem freund": "my boyfriend",
        "meine mutter": "my mother",
        "meiner mutter": "my mother",
        "meinen vater": "my father",
        "meinem vater": "my father",
        "meinen mann": "my husband",
        "meine schwester": "my sister",
        "meiner schwester": "my sister",
        "meinen bruder": "my brother",
        "meinem bruder": "my brother",
        "mutter": "mother",
        "vater": "father",
        "mama": "mum",
        "papa": "dad",
        "mich": "me",
        "unsere": "our",
        "unseren": "our",
        "kindern": "kids",
        "kind": "kid",
        "kleinkind": "toddler",
        "baby": "baby",
        "ein": "a",
        "eine": "a",
        "einem": "a",
        "einer": "a",
        "frei": "free",
        "noch platz": "any space",
        "platz für": "space for",
        "hat": "does",
        "gibt es": "is there",
        "storniere": "cancel",
        "stornieren": "cancel",
        "meine buchungen": "my bookings",
        "meine reservierung": "my booking",
        "meine buchung": "my booking",
        "reservierung": "reservation",
        "öffnungszeiten": "opening hours",
        "wo ist": "where is",
        "wettervorhersage": "weather forecast",
        "wetter": "weather",
        "bitte": "please",
        "danke": "thanks",
        "bei": "at",
        "um": "at",
        "in": "in",
        "montag": "monday",
        "dienstag": "tuesday",
        "mittwoch": "wednesday",
        "donnerstag": "thursday",
        "offen": "open",
        "geöffnet": "open",
        "geschlossen": "closed",
        "parkplätze": "parking",
        "parkplätzen": "parking",
        "parkplatz": "parking",
        "parkmöglichkeiten": "parking",
        "parkmöglichkeit": "parking",
        "parken": "parking",
        "kartenzahlung": "card payment",
        "kreditkarte": "credit card",
        "mit karte": "by card",
        "karte": "card",
        "bargeld": "cash",
        "bezahlen": "pay",
        "zahlen": "pay",
        "kleiderordnung": "dress code",
        "dresscode": "dress code",
        "anzahlung": "deposit",
        "kaution": "deposit",
        "indisches": "indian",
        "indische": "indian",
        "indischen": "indian",
        "indisch": "indian",
        "thailändisches": "thai",
        "thailändische": "thai",
        "thailändischen": "thai",
        "thai": "thai",
        "italienisches": "italian",
        "italienische": "italian",
        "italienischen": "italian",
        "japanisches": "japanese",
        "japanische": "japanese",
        "japanischen": "japanese",
        "mexikanisches": "mexican",
        "mexikanische": "mexican",
        "balinesisches": "balinese",
        "balinesische": "balinese",
        "indonesisches": "indonesian",
        "indonesische": "indonesian",
        "meeresfrüchte": "seafood",
        "fisch": "fish",
        "essen": "food",
        "gutes": "good",
        "gute": "good",
        "guten": "good",
        "oder": "or",
        "bis wann": "until what time",
        "wann": "when",
        "sohn": "son",
        "tochter": "daughter",
        "hund": "dog",
        # "wir sind zu dritt" = we are three
        "zu zweit": "2 people",
        "zu dritt": "3 people",
        "zu viert": "4 people",
        "zu fünft": "5 people",
        "zu sechst": "6 people",
    },
}
_PATTERNS = {
    lang: re.compile(
        "|".join(
            (r"(?<![\w])" if not k.startswith(" ") else "")
            + re.escape(k)
            # Russian stems take any ending ("ресторан" → "ресторанах"); a preposition (" в") takes none
            + ("" if k.endswith(" ") else r"\w*" if lang == "ru" and not k.startswith(" ") else r"(?![\w])")
            for k in sorted(words, key=len, reverse=True)
        ),
        re.IGNORECASE,
    )
    for lang, words in _LEXICON.items()
}


def lexicon_entries() -> list[tuple[str, str]]:
    """Every (phrase, English) pair the planner reads, all languages: the words that must not
    be taken for anything else (a venue's first-word name, for one)."""
    return [(phrase, english.strip("{}")) for words in _LEXICON.values() for phrase, english in words.items()]


_HOURS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}  # the lexicon's own number words


def _hour(word: str) -> int:
    return int(word) if word.isdigit() else _HOURS[word]


def _ordinal_suffix(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def to_english(text: str, language: str) -> str:
    """The message with its request words in English (venue and place names kept)."""
    if language not in _LEXICON or not text:
        return text
    lexicon = _LEXICON[language]
    lowered = {k.lower(): v for k, v in lexicon.items()}

    def swap(match: re.Match) -> str:
        found = match.group(0).lower()
        for key in sorted(lowered, key=len, reverse=True):
            if found.startswith(key):
                return lowered[key]
        return found

    out = _PATTERNS[language].sub(swap, text)
    if language == "ru":
        # "в 3 дня" is 3 in the afternoon ("на 3 дня" stays three days)
        out = re.sub(
            r"\bat\s+(\d{1,2})(?::(\d{2}))?\s+дня\b",
            lambda m: f"at {m.group(1)}{':' + m.group(2) if m.group(2) else ''} {{afternoon}}",
            out,
        )
    if language == "id":
        # "tgl 14", "tanggal 3": a day of the month ("on the 14th")
        out = re.sub(
            r"\b(?:tanggal|tgl)\.?\s*(\d{1,2})\b(?![:.]\d)",
            lambda m: f"on the {int(m.group(1))}{_ordinal_suffix(int(m.group(1)))}",
            out,
            flags=re.IGNORECASE,
        )
        # "setengah 8" is half an hour before eight: 7:30
        out = re.sub(r"\bsetengah\s+(\d{1,2})\b(?![:.]\d)", lambda m: f"{(int(m.group(1)) - 1) % 24 or 12}:30", out)
        # "jam 7 malam" → "at 7 pm"; "2 orang" → "2 people"
        out = re.sub(
            r"\bat\s+(\d{1,2})(?::(\d{2}))?\s+pm\b",
            lambda m: f"at {m.group(1)}{':' + m.group(2) if m.group(2) else ''}pm",
            out,
        )
    if language == "id":
        # "jam 11 siang" is late morning, "jam 2 siang" early afternoon
        out = re.sub(
            r"\bat\s+(\d{1,2})(?::(\d{2}))?\s+siang\b",
            lambda m: (
                f"at {m.group(1)}{':' + m.group(2) if m.group(2) else ''}{'am' if 9 <= int(m.group(1)) <= 11 else 'pm'}"
            ),
            out,
        )
    if language == "de":
        # "halb acht" is 7:30, "viertel nach acht" 8:15, "viertel vor acht" 7:45
        hour = rf"(\d{{1,2}}|{'|'.join(_HOURS)})"
        out = re.sub(rf"\bhalb\s+{hour}\b", lambda m: f"{(_hour(m.group(1)) - 1) or 12}:30", out)
        out = re.sub(rf"\bviertel\s+nach\s+{hour}\b", lambda m: f"{_hour(m.group(1))}:15", out)
        out = re.sub(rf"\bviertel\s+vor\s+{hour}\b", lambda m: f"{(_hour(m.group(1)) - 1) or 12}:45", out)
        out = re.sub(r"\b(\d{1,2})\s+o'clock\b", lambda m: f"{int(m.group(1)):02d}:00", out)
    return _dayparts(out)


_DAYPART_SUFFIX = {"am": "am", "pm": "pm", "afternoon": "pm"}
_DAYPART_WORD = {"am": "morning", "pm": "evening", "afternoon": "afternoon"}


def _dayparts(text: str) -> str:
    """The words for a part of the day ("pagi", "вечером", "abends") bind the hour in every
    language: right after an hour they are its am/pm ("jam 8 pagi" → "8 am"), elsewhere the
    English word the parser binds a bare hour to ("pagi ini jam 8" → "this morning at 8")."""
    text = re.sub(
        r"(\d)(\s*(?:o'clock\s*)?)\{(am|pm|afternoon)\}",
        lambda m: f"{m.group(1)}{m.group(2) or ' '}{_DAYPART_SUFFIX[m.group(3)]}",
        text,
    )
    return re.sub(r"\{(am|pm|afternoon)\}", lambda m: _DAYPART_WORD[m.group(1)], text)
