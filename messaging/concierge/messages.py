"""The offline planner's reply templates, per language (en, id, ru, de).

``say(key, language, **values)`` formats the template; a key missing in a language falls
back to English. Venue names, venue texts and quotes stay as they are in the data.
"""

from __future__ import annotations

CATALOGUE: dict[str, dict[str, str]] = {
    "found": {
        "en": "Here's what I found: {what}{where}:",
        "id": "Ini yang saya temukan: {what}{where}:",
        "ru": "Вот что я нашёл: {what}{where}:",
        "de": "Hier ist, was ich gefunden habe: {what}{where}:",
    },
    "where": {"en": " in {place}", "id": " di {place}", "ru": " — {place}", "de": " in {place}"},
    "more": {
        "en": 'Want to know more? Say e.g. "tell me about {name}", "the second one" or "is it free tomorrow at 7pm for 2?"',
        "id": 'Mau tahu lebih? Tulis misalnya "yang kedua" atau "apakah {name} ada meja besok jam 7 malam untuk 2 orang?"',
        "ru": 'Хотите подробнее? Напишите, например, "второй" или "забронируй {name} завтра в 19:00 на двоих".',
        "de": 'Mehr wissen? Schreiben Sie z. B. "der zweite" oder "reserviere {name} morgen um 19 Uhr für 2 Personen".',
    },
    "nothing_found": {
        "en": "I couldn't find any venue matching that. Try another area, a different kind of place or fewer details.",
        "id": "Saya tidak menemukan tempat yang cocok. Coba daerah lain, jenis tempat lain, atau lebih sedikit detail.",
        "ru": "Я не нашёл подходящих мест. Попробуйте другой район, другой тип заведения или меньше условий.",
        "de": "Ich habe nichts Passendes gefunden. Versuchen Sie eine andere Gegend, eine andere Art von Ort oder weniger Details.",
    },
    "relaxed": {
        "en": "Nothing matched exactly, so here's what I found without {dropped}:",
        "id": "Tidak ada yang persis cocok, jadi ini hasil tanpa {dropped}:",
        "ru": "Точных совпадений нет, вот что нашлось без условия «{dropped}»:",
        "de": "Nichts passte genau, hier ist, was ich ohne {dropped} gefunden habe:",
    },
    "ask_confirm": {
        "en": "{summary}.\n\nShall I send this request to the venue? Reply YES to confirm or NO to cancel.",
        "id": "{summary}.\n\nKirim permintaan ini ke tempatnya? Balas YA untuk konfirmasi atau TIDAK untuk batal.",
        "ru": "{summary}.\n\nОтправить запрос заведению? Ответьте ДА для подтверждения или НЕТ для отмены.",
        "de": "{summary}.\n\nSoll ich die Anfrage an das Lokal senden? Antworten Sie JA zum Bestätigen oder NEIN zum Abbrechen.",
    },
    "sent": {
        "en": "Done — I've sent your request to {venue} for {day} at {time}, party of {party}.",
        "id": "Beres — permintaan Anda sudah saya kirim ke {venue} untuk {day} jam {time}, {party} orang.",
        "ru": "Готово — я отправил запрос в {venue} на {day}, {time}, на {party} чел.",
        "de": "Erledigt — ich habe Ihre Anfrage an {venue} gesendet: {day} um {time}, {party} Personen.",
    },
    "not_yet": {
        "en": "It isn't confirmed yet: the venue will reply and I'll let you know as soon as they confirm.",
        "id": "Ini belum dikonfirmasi: tempatnya akan membalas dan saya kabari begitu mereka konfirmasi.",
        "ru": "Бронь ещё не подтверждена: заведение ответит, и я сразу сообщу.",
        "de": "Das ist noch nicht bestätigt: Das Lokal antwortet, und ich sage Ihnen sofort Bescheid.",
    },
    "declined": {
        "en": "OK, I won't go ahead with that. Anything else?",
        "id": "Oke, tidak saya lanjutkan. Ada lagi yang bisa saya bantu?",
        "ru": "Хорошо, не буду. Чем ещё помочь?",
        "de": "Okay, das lasse ich. Kann ich sonst noch etwas tun?",
    },
    "nothing_pending": {
        "en": "There's nothing waiting for your confirmation right now (a request expires after a while). What would you like to do?",
        "id": "Saat ini tidak ada yang menunggu konfirmasi Anda. Mau saya bantu apa?",
        "ru": "Сейчас ничего не ждёт вашего подтверждения. Чем помочь?",
        "de": "Gerade wartet nichts auf Ihre Bestätigung. Was möchten Sie tun?",
    },
    "didnt_catch": {
        "en": "Sorry, I didn't catch that. ",
        "id": "Maaf, saya kurang paham. ",
        "ru": "Извините, я не понял. ",
        "de": "Entschuldigung, das habe ich nicht verstanden. ",
    },
    "help": {
        "en": "",
        "id": (
            "Saya concierge AGNT untuk Bali. Saya bisa:\n"
            '• mencari tempat — "cari kafe di Ubud", "restoran murah di Canggu"\n'
            '• info tempat — "jam buka Kaito Omakase"\n'
            '• cek meja dan pesan — "pesan meja di Luma Trattoria besok jam 7 malam untuk 2 orang"\n'
            '• booking Anda — "booking saya", "batalkan booking saya"'
        ),
        "ru": (
            "Я консьерж AGNT на Бали. Я умею:\n"
            '• искать места — "найди кафе в Убуде", "пляжный клуб в Чангу"\n'
            '• рассказывать о заведениях — "часы работы Kaito Omakase"\n'
            '• проверять столики и бронировать — "забронируй столик в Luma Trattoria завтра в 19:00 на двоих"\n'
            '• ваши брони — "мои брони", "отмени бронь"'
        ),
        "de": (
            "Ich bin Ihr AGNT-Concierge für Bali. Ich kann:\n"
            '• Orte finden — "Ich suche ein Restaurant in Sanur", "Beach Club in Canggu"\n'
            '• über Lokale erzählen — "Öffnungszeiten Kaito Omakase"\n'
            '• Tische prüfen und reservieren — "Reserviere einen Tisch bei Dapur Rempah morgen um 19 Uhr für 2 Personen"\n'
            '• Ihre Buchungen — "meine Buchungen", "storniere meine Buchung"'
        ),
    },
    "free_at": {
        "en": 'Good news: {time} {day} is free at {name} for {party}.\nShall I request it? Say "book it".',
        "id": 'Kabar baik: {time} {day} tersedia di {name} untuk {party} orang.\nMau saya pesankan? Tulis "pesan".',
        "ru": 'Хорошие новости: {time} {day} в {name} свободно на {party} чел.\nЗабронировать? Напишите "забронируй".',
        "de": 'Gute Nachricht: {time} {day} ist bei {name} für {party} frei.\nSoll ich anfragen? Schreiben Sie "buchen".',
    },
    "forget_all_ask": {
        "en": "Shall I delete everything I remember about you ({count} thing{s})? Reply YES to delete it all or NO to keep it.",
        "id": "Hapus semua yang saya ingat tentang Anda ({count})? Balas YA untuk menghapus atau TIDAK.",
        "ru": "Удалить всё, что я о вас помню ({count})? Ответьте ДА или НЕТ.",
        "de": "Soll ich alles löschen, was ich über Sie weiß ({count})? Antworten Sie JA oder NEIN.",
    },
    "forgot": {
        "en": "Done — I've deleted {count} thing{s} I remembered about you.",
        "id": "Beres — {count} hal yang saya ingat tentang Anda sudah dihapus.",
        "ru": "Готово — я удалил {count} запис. о вас.",
        "de": "Erledigt — ich habe {count} Einträge über Sie gelöscht.",
    },
    "cancelled": {
        "en": "Cancelled: {reference}{at}. The venue has been told.",
        "id": "Dibatalkan: {reference}{at}. Tempatnya sudah diberi tahu.",
        "ru": "Отменено: {reference}{at}. Заведение уведомлено.",
        "de": "Storniert: {reference}{at}. Das Lokal ist informiert.",
    },
    "yes_button": {"en": "Yes", "id": "Ya", "ru": "Да", "de": "Ja"},
    "no_button": {"en": "No", "id": "Tidak", "ru": "Нет", "de": "Nein"},
}


def say(key: str, language: str | None = None, **values) -> str:
    templates = CATALOGUE[key]
    template = templates.get(language or "en") or templates["en"]
    return template.format(**values)
