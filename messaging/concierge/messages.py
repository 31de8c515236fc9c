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
    "cant_request": {
        "en": "I can't request that: {reason}.",
        "id": "Saya tidak bisa memesan itu: {reason}.",
        "ru": "Не могу отправить такой запрос: {reason}.",
        "de": "Das kann ich nicht anfragen: {reason}.",
    },
    "free_times_day": {
        "en": "Free times {day} for {party}: {slots}.",
        "id": "Jam yang tersedia {day} untuk {party} orang: {slots}.",
        "ru": "Свободное время {day} на {party} чел.: {slots}.",
        "de": "Freie Zeiten {day} für {party}: {slots}.",
    },
    "closest_times": {
        "en": "Closest free times: {slots}.",
        "id": "Jam kosong terdekat: {slots}.",
        "ru": "Ближайшее свободное время: {slots}.",
        "de": "Nächste freie Zeiten: {slots}.",
    },
    "not_free_at": {
        "en": "{time} {day} isn't available at {name} for {party}{why}.",
        "id": "{time} {day} tidak tersedia di {name} untuk {party} orang{why}.",
        "ru": "{time} {day} в {name} нет мест на {party} чел.{why}.",
        "de": "{time} {day} ist bei {name} für {party} nicht frei{why}.",
    },
    "no_tables": {
        "en": "No free tables at {name} {day} for {party}{why}.",
        "id": "Tidak ada meja kosong di {name} {day} untuk {party} orang{why}.",
        "ru": "В {name} {day} нет свободных столиков на {party} чел.{why}.",
        "de": "Bei {name} gibt es {day} keinen freien Tisch für {party}{why}.",
    },
    "free_times_at": {
        "en": 'Free times at {name} {day} for {party}: {slots}.\nPick one and say e.g. "book {name} {date} {first} for {party}".',
        "id": 'Jam kosong di {name} {day} untuk {party} orang: {slots}.\nPilih satu, misalnya "pesan {name} {date} jam {first} untuk {party} orang".',
        "ru": 'Свободное время в {name} {day} на {party} чел.: {slots}.\nВыберите, например: "забронируй {name} {date} в {first} на {party}".',
        "de": 'Freie Zeiten bei {name} {day} für {party}: {slots}.\nWählen Sie eine, z. B. "reserviere {name} {date} um {first} für {party} Personen".',
    },
    "assumed_two": {
        "en": "(I assumed 2 people — tell me if you're more.)",
        "id": "(Saya anggap 2 orang — kabari kalau lebih.)",
        "ru": "(Я считал, что вас двое — скажите, если больше.)",
        "de": "(Ich bin von 2 Personen ausgegangen — sagen Sie Bescheid, wenn Sie mehr sind.)",
    },
    "confirm_summary": {
        "en": "Table for {who} at {venue} ({where}) on {day} at {time}",
        "id": "Meja untuk {who} orang di {venue} ({where}) pada {day} jam {time}",
        "ru": "Столик на {who} чел. в {venue} ({where}), {day}, {time}",
        "de": "Tisch für {who} bei {venue} ({where}) am {day} um {time}",
    },
    "children_of": {
        "en": " ({adults} adults, {children} children)",
        "id": " ({adults} dewasa, {children} anak)",
        "ru": " ({adults} взр., {children} дет.)",
        "de": " ({adults} Erwachsene, {children} Kinder)",
    },
    "note": {
        "en": " — note: {text}",
        "id": " — catatan: {text}",
        "ru": " — пожелание: {text}",
        "de": " — Hinweis: {text}",
    },
    "deposit_note": {
        "en": ". A deposit of {deposit} applies",
        "id": ". Ada deposit {deposit}",
        "ru": ". Требуется депозит {deposit}",
        "de": ". Es gilt eine Anzahlung von {deposit}",
    },
    "dress_code_note": {
        "en": ". Dress code: {dress_code}",
        "id": ". Aturan berpakaian: {dress_code}",
        "ru": ". Дресс-код: {dress_code}",
        "de": ". Dresscode: {dress_code}",
    },
    "children_age_note": {
        "en": ". Children must be {age} or older",
        "id": ". Anak-anak minimal berusia {age} tahun",
        "ru": ". Детям должно быть не меньше {age} лет",
        "de": ". Kinder müssen mindestens {age} Jahre alt sein",
    },
    "guest_age_note": {
        "en": ". Guests must be {age} or older",
        "id": ". Tamu minimal berusia {age} tahun",
        "ru": ". Гостям должно быть не меньше {age} лет",
        "de": ". Gäste müssen mindestens {age} Jahre alt sein",
    },
    "cancelled_at": {"en": " at {venue}", "id": " di {venue}", "ru": " в {venue}", "de": " bei {venue}"},
    "cancel_failed": {
        "en": "I couldn't cancel {reference}: {error}",
        "id": "Saya tidak bisa membatalkan {reference}: {error}",
        "ru": "Не получилось отменить {reference}: {error}",
        "de": "Ich konnte {reference} nicht stornieren: {error}",
    },
    "nothing_to_cancel": {
        "en": "You have no upcoming bookings to cancel.",
        "id": "Anda tidak punya booking mendatang untuk dibatalkan.",
        "ru": "У вас нет предстоящих броней для отмены.",
        "de": "Sie haben keine anstehenden Buchungen zum Stornieren.",
    },
    "which_cancel": {
        "en": 'Which booking should I cancel? Reply with its reference, e.g. "cancel {reference}":',
        "id": 'Booking mana yang harus dibatalkan? Balas dengan kodenya, misalnya "batalkan {reference}":',
        "ru": 'Какую бронь отменить? Ответьте её номером, например "отмени {reference}":',
        "de": 'Welche Buchung soll ich stornieren? Antworten Sie mit der Nummer, z. B. "storniere {reference}":',
    },
    "upcoming": {
        "en": "Your upcoming bookings:",
        "id": "Booking Anda yang akan datang:",
        "ru": "Ваши предстоящие брони:",
        "de": "Ihre anstehenden Buchungen:",
    },
    "no_upcoming": {
        "en": "You have no upcoming bookings.",
        "id": "Anda tidak punya booking yang akan datang.",
        "ru": "У вас нет предстоящих броней.",
        "de": "Sie haben keine anstehenden Buchungen.",
    },
    "past": {
        "en": "Recent past bookings:",
        "id": "Booking yang sudah lewat:",
        "ru": "Прошедшие брони:",
        "de": "Vergangene Buchungen:",
    },
    "booking_line": {
        "en": "• {reference} — {venue}, {day} {time}, {party} people ({status})",
        "id": "• {reference} — {venue}, {day} {time}, {party} orang ({status})",
        "ru": "• {reference} — {venue}, {day} {time}, {party} чел. ({status})",
        "de": "• {reference} — {venue}, {day} {time}, {party} Personen ({status})",
    },
    "today": {"en": "today", "id": "hari ini", "ru": "сегодня", "de": "heute"},
    "tomorrow": {"en": "tomorrow", "id": "besok", "ru": "завтра", "de": "morgen"},
    "opening_hours": {"en": "Opening hours:", "id": "Jam buka:", "ru": "Часы работы:", "de": "Öffnungszeiten:"},
    "hours_today": {
        "en": "Today: {hours}",
        "id": "Hari ini: {hours}",
        "ru": "Сегодня: {hours}",
        "de": "Heute: {hours}",
    },
    "address": {
        "en": "Address: {address}",
        "id": "Alamat: {address}",
        "ru": "Адрес: {address}",
        "de": "Adresse: {address}",
    },
    "contact": {
        "en": "Contact: {contact}",
        "id": "Kontak: {contact}",
        "ru": "Контакты: {contact}",
        "de": "Kontakt: {contact}",
    },
    "open_now": {"en": "open now", "id": "sedang buka", "ru": "сейчас открыто", "de": "jetzt geöffnet"},
    "closed_now": {"en": "closed now", "id": "sedang tutup", "ru": "сейчас закрыто", "de": "jetzt geschlossen"},
    "booking_rules": {
        "en": "Bookings: {rules}",
        "id": "Pemesanan: {rules}",
        "ru": "Бронирование: {rules}",
        "de": "Buchungen: {rules}",
    },
    "rule_groups": {
        "en": "groups of {min}–{max}",
        "id": "grup {min}–{max} orang",
        "ru": "компании от {min} до {max} чел.",
        "de": "Gruppen von {min}–{max}",
    },
    "rule_deposit": {"en": "deposit {x}", "id": "deposit {x}", "ru": "депозит {x}", "de": "Anzahlung {x}"},
    "rule_min_spend": {
        "en": "minimum spend {x}",
        "id": "belanja minimum {x}",
        "ru": "минимальный чек {x}",
        "de": "Mindestverzehr {x}",
    },
    "rule_kids": {"en": "kids welcome", "id": "anak-anak boleh", "ru": "с детьми можно", "de": "Kinder willkommen"},
    "rule_no_kids": {"en": "no kids", "id": "tanpa anak-anak", "ru": "без детей", "de": "keine Kinder"},
    "rule_min_age": {
        "en": "guests {age}+ only",
        "id": "hanya tamu usia {age}+",
        "ru": "только гости {age}+",
        "de": "nur Gäste ab {age}",
    },
    "rule_dress": {
        "en": "dress code: {x}",
        "id": "aturan berpakaian: {x}",
        "ru": "дресс-код: {x}",
        "de": "Dresscode: {x}",
    },
    "rule_cancel": {
        "en": "free cancellation up to {h}h before",
        "id": "pembatalan gratis hingga {h} jam sebelumnya",
        "ru": "бесплатная отмена за {h} ч",
        "de": "kostenlose Stornierung bis {h} Std. vorher",
    },
    "want_table": {
        "en": 'Want a table? Say e.g. "is {name} free tomorrow at 7pm for 2?"',
        "id": 'Mau pesan meja? Tulis misalnya "apakah {name} ada meja kosong besok jam 7 malam untuk 2 orang?"',
        "ru": 'Нужен столик? Напишите, например: "есть ли свободный столик в {name} завтра в 19:00 на двоих?"',
        "de": 'Einen Tisch? Schreiben Sie z. B. "Hat {name} morgen um 19 Uhr einen Tisch für 2 frei?"',
    },
    "yes_button": {"en": "Yes", "id": "Ya", "ru": "Да", "de": "Ja"},
    "no_button": {"en": "No", "id": "Tidak", "ru": "Нет", "de": "Nein"},
}


# Why a booking cannot be made, per reason code of bookings.availability.Unavailable; the
# values come with the tool's answer (bookings.availability.reason_values), so the words
# name the rule that actually applied, in the guest's language.
REASONS: dict[str, dict[str, str]] = {
    "time_passed": {
        "en": "that time has already passed",
        "id": "jam itu sudah lewat",
        "ru": "это время уже прошло",
        "de": "diese Uhrzeit ist schon vorbei",
    },
    "after_last_seating": {
        "en": "that is after the last seating{last}",
        "id": "itu setelah jam duduk terakhir{last}",
        "ru": "это позже последней посадки{last}",
        "de": "das ist nach der letzten Platzierung{last}",
    },
    "before_first_seating": {
        "en": "that is before the first seating{first}",
        "id": "itu sebelum jam duduk pertama{first}",
        "ru": "это раньше первой посадки{first}",
        "de": "das ist vor der ersten Platzierung{first}",
    },
    "outside_hours": {
        "en": "{venue} is not open at that time",
        "id": "{venue} tidak buka pada jam itu",
        "ru": "{venue} в это время не работает",
        "de": "{venue} hat zu dieser Zeit nicht geöffnet",
    },
    "not_a_seating": {
        "en": "{venue} seats guests every {step} minutes, on the grid{first}",
        "id": "{venue} menerima tamu setiap {step} menit, sesuai jadwal{first}",
        "ru": "{venue} сажает гостей каждые {step} минут, по сетке{first}",
        "de": "{venue} platziert Gäste alle {step} Minuten, im Raster{first}",
    },
    "kids_not_allowed": {
        "en": "{venue} is adults only: children are not admitted",
        "id": "{venue} khusus dewasa: anak-anak tidak diperbolehkan",
        "ru": "{venue} — только для взрослых: детей не пускают",
        "de": "{venue} ist nur für Erwachsene: Kinder sind nicht zugelassen",
    },
    "minimum_age": {
        "en": "{venue} admits guests aged {min_age} and over only",
        "id": "{venue} hanya menerima tamu berusia {min_age} tahun ke atas",
        "ru": "{venue} пускает только гостей от {min_age} лет",
        "de": "{venue} lässt nur Gäste ab {min_age} Jahren zu",
    },
    "closed": {
        "en": "{venue} is closed that day",
        "id": "{venue} tutup hari itu",
        "ru": "{venue} в этот день закрыт",
        "de": "{venue} hat an diesem Tag geschlossen",
    },
    "blackout": {
        "en": "{venue} does not take bookings that day",
        "id": "{venue} tidak menerima pemesanan hari itu",
        "ru": "{venue} в этот день не принимает брони",
        "de": "{venue} nimmt an diesem Tag keine Buchungen an",
    },
    "party_too_small": {
        "en": "{venue} takes parties of at least {min_party}",
        "id": "{venue} hanya menerima rombongan minimal {min_party} orang",
        "ru": "{venue} принимает компании не меньше {min_party} чел.",
        "de": "{venue} nimmt Gruppen ab {min_party} Personen an",
    },
    "party_too_large": {
        "en": "{venue} takes parties of up to {max_party} through the concierge",
        "id": "{venue} hanya menerima rombongan hingga {max_party} orang lewat concierge",
        "ru": "{venue} принимает через консьержа компании не больше {max_party} чел.",
        "de": "{venue} nimmt über den Concierge Gruppen bis {max_party} Personen an",
    },
    "past": {
        "en": "that date has passed",
        "id": "tanggal itu sudah lewat",
        "ru": "эта дата уже прошла",
        "de": "dieses Datum ist vorbei",
    },
    "outside_booking_window": {
        "en": "{venue} takes bookings only up to {window_days} days ahead",
        "id": "{venue} hanya menerima pemesanan hingga {window_days} hari ke depan",
        "ru": "{venue} принимает брони не дальше чем на {window_days} дней вперёд",
        "de": "{venue} nimmt Buchungen nur bis {window_days} Tage im Voraus an",
    },
    "lead_time": {
        "en": "{venue} needs bookings at least {lead_minutes} minutes ahead",
        "id": "{venue} perlu pemesanan minimal {lead_minutes} menit sebelumnya",
        "ru": "{venue} принимает брони минимум за {lead_minutes} минут",
        "de": "{venue} braucht Buchungen mindestens {lead_minutes} Minuten im Voraus",
    },
    "fully_booked": {
        "en": "{venue} is fully booked that day for that party size",
        "id": "{venue} sudah penuh hari itu untuk jumlah tamu tersebut",
        "ru": "в {venue} на этот день нет мест для такой компании",
        "de": "{venue} ist an diesem Tag für diese Gruppengröße ausgebucht",
    },
}


def reason(code: str, language: str | None, values: dict, fallback: str = "") -> str:
    """The reason ``code`` in the guest's language, filled from the tool's ``values``;
    ``fallback`` (the tool's own English sentence) for a code without words here."""
    templates = REASONS.get(code)
    if not templates:
        return fallback or code
    template = templates.get(language or "en") or templates["en"]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback or templates["en"].format_map({**values})


WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "ru": ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
}
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_name(index: int, language: str) -> str:
    return WEEKDAYS[language][index] if language in WEEKDAYS else DAY_KEYS[index].capitalize()


def date_words(day, language: str) -> str:
    """ "Freitag 13 Mär" — a date in the guest's language (English: "Friday 13 March")."""
    if language not in WEEKDAYS:
        return f"{day:%A %d %B}"
    return f"{WEEKDAYS[language][day.weekday()]} {day.day} {MONTHS[language][day.month - 1]}"


def say(key: str, language: str | None = None, **values) -> str:
    templates = CATALOGUE[key]
    template = templates.get(language or "en") or templates["en"]
    return template.format(**values)
