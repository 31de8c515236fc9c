"""The offline planner's reply templates, per language (en, id, ru, de).

``say(key, language, **values)`` formats the template; a key missing in a language falls
back to English. Venue names, venue texts and quotes stay as they are in the data.
"""

from __future__ import annotations

import re

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
    "declined_booking": {
        "en": "OK, I won't go ahead with the request for {venue} ({day} at {time}) — nothing was sent to them. Anything else?",
        "id": "Oke, permintaan untuk {venue} ({day} jam {time}) tidak saya lanjutkan — tidak ada yang dikirim. Ada lagi?",
        "ru": "Хорошо, не буду отправлять запрос в {venue} ({day}, {time}) — туда ничего не ушло. Чем ещё помочь?",
        "de": "Okay, die Anfrage an {venue} ({day} um {time}) lasse ich — es wurde nichts gesendet. Kann ich sonst noch etwas tun?",
    },
    "happy_to_book": {
        "en": "Happy to book {name}{known}.",
        "id": "Siap, saya pesankan {name}{known}.",
        "ru": "С удовольствием забронирую {name}{known}.",
        "de": "Gern reserviere ich bei {name}{known}.",
    },
    "book_known_day": {"en": " for {day}", "id": " untuk {day}", "ru": " — {day}", "de": " für {day}"},
    "book_known_day_time": {
        "en": " for {day} at {time}",
        "id": " untuk {day} jam {time}",
        "ru": " — {day}, {time}",
        "de": " für {day} um {time}",
    },
    "ask_party": {
        "en": "For how many people?",
        "id": "Untuk berapa orang?",
        "ru": "На сколько человек?",
        "de": "Für wie viele Personen?",
    },
    "ask_party_time": {
        "en": "For how many people, and what time?",
        "id": "Untuk berapa orang, dan jam berapa?",
        "ru": "На сколько человек и во сколько?",
        "de": "Für wie viele Personen und um wie viel Uhr?",
    },
    "ask_party_day_time": {
        "en": "For how many people, and what day and time?",
        "id": "Untuk berapa orang, hari apa dan jam berapa?",
        "ru": "На сколько человек, в какой день и во сколько?",
        "de": "Für wie viele Personen, an welchem Tag und um wie viel Uhr?",
    },
    "hours_on_day": {
        "en": "{name}, {day}: open {hours}.",
        "id": "{name}, {day}: buka {hours}.",
        "ru": "{name}, {day}: открыто {hours}.",
        "de": "{name}, {day}: geöffnet {hours}.",
    },
    "closed_on_day": {
        "en": "{name}, {day}: closed.",
        "id": "{name}, {day}: tutup.",
        "ru": "{name}, {day}: закрыто.",
        "de": "{name}, {day}: geschlossen.",
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
            '• booking Anda — "booking saya", "batalkan booking saya"\n'
            '• pengingat — "ingatkan saya telepon ibu jam 6 sore"\n'
            '• mengingat selera Anda — "saya vegetarian", "apa yang kamu tahu tentang saya?"\n'
            '• cuaca — "cuaca di Ubud besok"'
        ),
        "ru": (
            "Я консьерж AGNT на Бали. Я умею:\n"
            '• искать места — "найди кафе в Убуде", "пляжный клуб в Чангу"\n'
            '• рассказывать о заведениях — "часы работы Kaito Omakase"\n'
            '• проверять столики и бронировать — "забронируй столик в Luma Trattoria завтра в 19:00 на двоих"\n'
            '• ваши брони — "мои брони", "отмени бронь"\n'
            '• напоминания — "напомни позвонить маме в 18:00"\n'
            '• запоминать ваши вкусы — "я вегетарианец", "что ты обо мне знаешь?"\n'
            '• погода — "погода в Убуде завтра"'
        ),
        "de": (
            "Ich bin Ihr AGNT-Concierge für Bali. Ich kann:\n"
            '• Orte finden — "Ich suche ein Restaurant in Sanur", "Beach Club in Canggu"\n'
            '• über Lokale erzählen — "Öffnungszeiten Kaito Omakase"\n'
            '• Tische prüfen und reservieren — "Reserviere einen Tisch bei Dapur Rempah morgen um 19 Uhr für 2 Personen"\n'
            '• Ihre Buchungen — "meine Buchungen", "storniere meine Buchung"\n'
            '• Erinnerungen — "erinnere mich um 18 Uhr daran, Mama anzurufen"\n'
            '• mir merken, was Sie mögen — "ich bin Vegetarier", "was weißt du über mich?"\n'
            '• das Wetter — "Wetter in Ubud morgen"'
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
    # A party's make-up, one form per language and per number: "1 adult", "2 adults"...
    "adults_one": {"en": "{n} adult", "id": "{n} dewasa", "ru": "{n} взр.", "de": "{n} Erwachsener"},
    "adults_many": {"en": "{n} adults", "id": "{n} dewasa", "ru": "{n} взр.", "de": "{n} Erwachsene"},
    "children_one": {"en": "{n} child", "id": "{n} anak", "ru": "{n} реб.", "de": "{n} Kind"},
    "children_many": {"en": "{n} children", "id": "{n} anak", "ru": "{n} дет.", "de": "{n} Kinder"},
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
    "welcome": {
        "en": "You're welcome! Anything else I can find or book for you?",
        "id": "Sama-sama! Ada lagi yang bisa saya carikan atau pesankan?",
        "ru": "Пожалуйста! Что-нибудь ещё найти или забронировать?",
        "de": "Gern geschehen! Kann ich noch etwas für Sie finden oder reservieren?",
    },
    "which_venue_tables": {
        "en": "Which venue do you mean? Tell me its name and I'll check its tables.",
        "id": "Tempat yang mana? Sebutkan namanya dan saya cek mejanya.",
        "ru": "Какое заведение вы имеете в виду? Назовите его, и я проверю столики.",
        "de": "Welchen Ort meinen Sie? Nennen Sie mir den Namen, dann prüfe ich die Tische.",
    },
    "which_venue_book": {
        "en": 'Which venue would you like to book? Tell me its name (or ask me to find one, e.g. "find a sushi place in Seminyak").',
        "id": 'Tempat mana yang ingin Anda pesan? Sebutkan namanya (atau minta saya mencarikan, misalnya "cari tempat sushi di Seminyak").',
        "ru": 'Какое заведение забронировать? Назовите его (или попросите найти, например "найди суши в Семиньяке").',
        "de": 'Welchen Ort möchten Sie reservieren? Nennen Sie den Namen (oder lassen Sie mich suchen, z. B. "finde Sushi in Seminyak").',
    },
    "which_venue_unclear": {
        "en": "Which venue would you like to book? I couldn't tell from your message.",
        "id": "Tempat mana yang ingin Anda pesan? Saya tidak bisa menangkapnya dari pesan Anda.",
        "ru": "Какое заведение забронировать? Я не понял этого из сообщения.",
        "de": "Welchen Ort möchten Sie reservieren? Das konnte ich Ihrer Nachricht nicht entnehmen.",
    },
    "which_one_book": {
        "en": "Which one should I book?",
        "id": "Yang mana yang harus saya pesan?",
        "ru": "Какое из них забронировать?",
        "de": "Welchen davon soll ich reservieren?",
    },
    "which_one_example": {
        "en": 'Say e.g. "the first one" or "book {name} tomorrow 7pm for 2".',
        "id": 'Katakan misalnya "yang pertama" atau "pesan {name} besok jam 7 malam untuk 2".',
        "ru": 'Скажите, например, "первый" или "забронируй {name} завтра в 19:00 на двоих".',
        "de": 'Sagen Sie z. B. "den ersten" oder "reserviere {name} morgen um 19 Uhr für 2".',
    },
    "requested_ref": {
        "en": "Requested — reference {reference}. The venue will confirm and I'll let you know.",
        "id": "Sudah diajukan — kode {reference}. Tempatnya akan mengonfirmasi dan saya kabari Anda.",
        "ru": "Запрос отправлен — номер {reference}. Заведение подтвердит, и я вам сообщу.",
        "de": "Angefragt — Nummer {reference}. Der Ort bestätigt, und ich sage Ihnen Bescheid.",
    },
    "no_info": {
        "en": "I don't have information that answers that, so I won't guess.",
        "id": "Saya tidak punya informasi untuk menjawab itu, jadi saya tidak akan menebak.",
        "ru": "У меня нет сведений, чтобы ответить на это, и гадать я не буду.",
        "de": "Dazu habe ich keine Informationen, und raten möchte ich nicht.",
    },
    "nothing_left": {
        "en": "There was nothing left to delete.",
        "id": "Tidak ada lagi yang perlu dihapus.",
        "ru": "Удалять больше нечего.",
        "de": "Es gab nichts mehr zu löschen.",
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
    "closed_word": {"en": "closed", "id": "tutup", "ru": "закрыто", "de": "geschlossen"},
    "rule_no_deposit": {"en": "no deposit", "id": "tanpa deposit", "ru": "без депозита", "de": "keine Anzahlung"},
    "hours_daily": {
        "en": "{name} is open every day: {hours}.",
        "id": "{name} buka setiap hari: {hours}.",
        "ru": "{name}: открыто ежедневно, {hours}.",
        "de": "{name} hat täglich geöffnet: {hours}.",
    },
    "hours_of": {
        "en": "{name} — opening hours:",
        "id": "{name} — jam buka:",
        "ru": "{name} — часы работы:",
        "de": "{name} — Öffnungszeiten:",
    },
    "known_about": {
        "en": "Here's what I know about {name}:",
        "id": "Ini yang saya tahu tentang {name}:",
        "ru": "Вот что я знаю о {name}:",
        "de": "Das weiß ich über {name}:",
    },
    "known": {
        "en": "Here's what I know:",
        "id": "Ini yang saya tahu:",
        "ru": "Вот что я знаю:",
        "de": "Das weiß ich:",
    },
    "no_answer": {
        "en": "I don't have anything in {name}'s information that answers that, so I won't guess.",
        "id": "Informasi tentang {name} tidak menjawab itu, jadi saya tidak mau menebak.",
        "ru": "В сведениях о {name} ответа на это нет, и гадать я не буду.",
        "de": "In den Angaben zu {name} steht dazu nichts, und raten möchte ich nicht.",
    },
    "ask_them": {
        "en": " You could ask them directly: {contact}",
        "id": " Anda bisa tanya langsung: {contact}",
        "ru": " Можно спросить у них напрямую: {contact}",
        "de": " Sie können direkt nachfragen: {contact}",
    },
    "policy_says": {
        "en": "From {name}'s booking rules: {rules}.",
        "id": "Dari aturan pemesanan {name}: {rules}.",
        "ru": "По правилам бронирования {name}: {rules}.",
        "de": "Laut den Buchungsregeln von {name}: {rules}.",
    },
    "places_for": {
        "en": 'places for "{query}"',
        "id": 'tempat untuk "{query}"',
        "ru": "места по запросу «{query}»",
        "de": "Orte für „{query}“",
    },
    "drop_query": {"en": "your keywords", "id": "kata kunci Anda", "ru": "ключевые слова", "de": "Ihre Suchbegriffe"},
    "drop_time": {"en": "the time", "id": "waktu", "ru": "время", "de": "die Uhrzeit"},
    "drop_price": {"en": "the price limit", "id": "batas harga", "ru": "цена", "de": "die Preisgrenze"},
    "drop_party": {"en": "the party size", "id": "jumlah orang", "ru": "число гостей", "de": "die Personenzahl"},
    "drop_area": {"en": "the area", "id": "area", "ru": "район", "de": "die Gegend"},
    "drop_category": {
        "en": "the type of place",
        "id": "jenis tempat",
        "ru": "тип заведения",
        "de": "die Art des Lokals",
    },
    "drop_some": {"en": "some filters", "id": "beberapa filter", "ru": "часть условий", "de": "einige Filter"},
    "hi": {"en": "Hi! ", "id": "Halo! ", "ru": "Здравствуйте! ", "de": "Hallo! "},
    "hi_name": {"en": "Hi {name}! ", "id": "Halo {name}! ", "ru": "Здравствуйте, {name}! ", "de": "Hallo {name}! "},
    "what_mood": {
        "en": "What are you in the mood for?",
        "id": "Lagi ingin apa?",
        "ru": "Чего бы вам хотелось?",
        "de": "Worauf haben Sie Lust?",
    },
    "reminder_set": {
        "en": "OK — I'll remind you to {text} on {when}.",
        "id": "Oke — saya akan mengingatkan Anda: {text}, pada {when}.",
        "ru": "Хорошо — напомню: {text}, {when}.",
        "de": "Okay — ich erinnere Sie an: {text}, am {when}.",
    },
    "diet_dropped": {
        "en": "OK — I won't assume you're {diet} any more.",
        "id": "Oke — saya tidak akan menganggap Anda {diet} lagi.",
        "ru": "Хорошо — больше не буду считать, что вы {diet}.",
        "de": "Okay — ich gehe nicht mehr davon aus, dass Sie {diet} sind.",
    },
    "reminder_failed": {
        "en": "I couldn't set that reminder: {error}",
        "id": "Saya tidak bisa memasang pengingat itu: {error}",
        "ru": "Не получилось поставить напоминание: {error}",
        "de": "Ich konnte die Erinnerung nicht setzen: {error}",
    },
    "reminder_when": {
        "en": 'When should I remind you? For example "remind me to call the villa at 6pm" or "… in 2 hours".',
        "id": 'Kapan saya harus mengingatkan? Misalnya "ingatkan saya telepon vila jam 6 sore" atau "… dalam 2 jam".',
        "ru": 'Когда напомнить? Например: "напомни позвонить на виллу в 18:00" или "… через 2 часа".',
        "de": 'Wann soll ich Sie erinnern? Zum Beispiel "erinnere mich um 18 Uhr, die Villa anzurufen" oder "… in 2 Stunden".',
    },
    "reminder_past": {
        "en": "{when} has already passed. When should I remind you instead?",
        "id": "{when} sudah lewat. Kapan saya harus mengingatkan Anda?",
        "ru": "{when} уже прошло. Когда напомнить вместо этого?",
        "de": "{when} ist schon vorbei. Wann soll ich Sie stattdessen erinnern?",
    },
    "reminder_what": {
        "en": "What should I remind you about?",
        "id": "Saya harus mengingatkan tentang apa?",
        "ru": "О чём напомнить?",
        "de": "Woran soll ich Sie erinnern?",
    },
    "remember_failed": {
        "en": "I couldn't save that: {error}",
        "id": "Saya tidak bisa menyimpannya: {error}",
        "ru": "Не получилось сохранить: {error}",
        "de": "Ich konnte das nicht speichern: {error}",
    },
    "remember_nothing": {
        "en": 'Noted — though I couldn\'t pick out a specific preference from that. Try e.g. "I\'m vegetarian" or "I love sunset bars".',
        "id": 'Dicatat — tapi saya tidak menemukan preferensi yang jelas. Coba misalnya "saya vegetarian" atau "saya suka bar sunset".',
        "ru": 'Принято — но я не нашёл в этом конкретного предпочтения. Попробуйте, например: "я вегетарианец" или "люблю бары с закатом".',
        "de": 'Notiert — allerdings konnte ich keine konkrete Vorliebe herauslesen. Versuchen Sie z. B. "ich bin Vegetarier" oder "ich liebe Sunset-Bars".',
    },
    "remembered": {
        "en": "Got it, I'll remember: {items}.",
        "id": "Siap, saya akan ingat: {items}.",
        "ru": "Понял, запомню: {items}.",
        "de": "Alles klar, ich merke mir: {items}.",
    },
    "forget_failed": {
        "en": "I couldn't forget that: {error}",
        "id": "Saya tidak bisa menghapusnya: {error}",
        "ru": "Не получилось забыть это: {error}",
        "de": "Ich konnte das nicht vergessen: {error}",
    },
    "forget_no_match": {
        "en": 'I don\'t have anything remembered that matches that. Ask "what do you know about me?" to see it all.',
        "id": 'Saya tidak menyimpan apa pun yang cocok dengan itu. Tanyakan "apa yang kamu tahu tentang saya?" untuk melihat semuanya.',
        "ru": 'Я не помню ничего подходящего. Спросите "что ты обо мне знаешь?", чтобы увидеть всё.',
        "de": 'Dazu habe ich nichts gespeichert. Fragen Sie "was weißt du über mich?", um alles zu sehen.',
    },
    "recall_empty": {
        "en": 'I don\'t remember anything about you yet. Tell me things like "I\'m vegetarian" or "we\'re usually 4".',
        "id": 'Saya belum mengingat apa pun tentang Anda. Ceritakan misalnya "saya vegetarian" atau "biasanya kami 4 orang".',
        "ru": 'Я пока ничего о вас не помню. Расскажите, например: "я вегетарианец" или "нас обычно четверо".',
        "de": 'Ich weiß noch nichts über Sie. Erzählen Sie mir z. B. "ich bin Vegetarier" oder "wir sind meistens zu viert".',
    },
    "recall": {
        "en": "Here's what I remember about you:",
        "id": "Ini yang saya ingat tentang Anda:",
        "ru": "Вот что я о вас помню:",
        "de": "Das weiß ich über Sie:",
    },
    "weather_now": {
        "en": "Right now in {city}: {summary}. (Source: {source})",
        "id": "Saat ini di {city}: {summary}. (Sumber: {source})",
        "ru": "Сейчас в {city}: {summary}. (Источник: {source})",
        "de": "Gerade in {city}: {summary}. (Quelle: {source})",
    },
    "weather_forecast": {
        "en": "Forecast for {city} {day}: {summary}.",
        "id": "Prakiraan cuaca {city} {day}: {summary}.",
        "ru": "Прогноз для {city} {day}: {summary}.",
        "de": "Vorhersage für {city} {day}: {summary}.",
    },
    "weather_failed": {
        "en": "Sorry, {error}.",
        "id": "Maaf, cuaca tidak bisa diambil: {error}.",
        "ru": "Извините, не удалось узнать погоду: {error}.",
        "de": "Entschuldigung, das Wetter ist gerade nicht abrufbar: {error}.",
    },
    "your_area": {"en": "your area", "id": "daerah Anda", "ru": "вашем районе", "de": "Ihrer Gegend"},
    "that_day": {"en": "that day", "id": "hari itu", "ru": "на этот день", "de": "an dem Tag"},
    "rain_mm": {"en": "{x} mm of rain", "id": "hujan {x} mm", "ru": "осадки {x} мм", "de": "{x} mm Regen"},
    "wind": {"en": "wind {x} km/h", "id": "angin {x} km/jam", "ru": "ветер {x} км/ч", "de": "Wind {x} km/h"},
    "rain_chance": {
        "en": "{x}% chance of rain",
        "id": "peluang hujan {x}%",
        "ru": "вероятность дождя {x}%",
        "de": "{x}% Regenwahrscheinlichkeit",
    },
    "rain_expected": {
        "en": "{x} mm expected",
        "id": "perkiraan {x} mm",
        "ru": "ожидается {x} мм",
        "de": "{x} mm erwartet",
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
    "after_closing": {
        "en": "{venue} closes at {closes} that day (last seating {last_time})",
        "id": "{venue} tutup jam {closes} hari itu (jam duduk terakhir {last_time})",
        "ru": "в этот день {venue} закрывается в {closes} (последняя посадка в {last_time})",
        "de": "{venue} schließt an dem Tag um {closes} Uhr (letzte Platzierung {last_time} Uhr)",
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
        "en": "{venue} needs bookings at least {lead} ahead",
        "id": "{venue} perlu pemesanan minimal {lead} sebelumnya",
        "ru": "{venue} принимает брони минимум за {lead}",
        "de": "{venue} braucht Buchungen mindestens {lead} im Voraus",
    },
    "fully_booked": {
        "en": "{venue} is fully booked that day for that party size",
        "id": "{venue} sudah penuh hari itu untuk jumlah tamu tersebut",
        "ru": "в {venue} на этот день нет мест для такой компании",
        "de": "{venue} ist an diesem Tag für diese Gruppengröße ausgebucht",
    },
}


# A notice period's units per language: (one, few, many) — Russian counts 1 / 2–4 / 5+ apart
# ("за 1 час", "за 2 часа", "за 24 часа", "за 5 часов"), the others singular and plural.
NOTICE_UNITS: dict[str, dict[str, tuple[str, str, str]]] = {
    "en": {
        "days": ("day", "days", "days"),
        "hours": ("hour", "hours", "hours"),
        "minutes": ("minute", "minutes", "minutes"),
    },
    "id": {"days": ("hari", "hari", "hari"), "hours": ("jam", "jam", "jam"), "minutes": ("menit", "menit", "menit")},
    "ru": {
        "days": ("день", "дня", "дней"),
        "hours": ("час", "часа", "часов"),
        "minutes": ("минуту", "минуты", "минут"),
    },
    "de": {
        "days": ("Tag", "Tage", "Tage"),
        "hours": ("Stunde", "Stunden", "Stunden"),
        "minutes": ("Minute", "Minuten", "Minuten"),
    },
}


def notice_words(minutes: object, language: str | None) -> str:
    """A notice period in natural units in the guest's language ("24 hours", "за 24 часа",
    "2 Tage", "90 menit")."""
    from bookings.availability import notice_amount

    try:
        amount, unit = notice_amount(int(minutes or 0))
    except (TypeError, ValueError):
        amount, unit = notice_amount(0)
    one, few, many = NOTICE_UNITS.get(language or "en", NOTICE_UNITS["en"])[unit]
    if language == "ru":
        tail, tens = amount % 10, amount % 100
        word = one if tail == 1 and tens != 11 else few if 2 <= tail <= 4 and not 12 <= tens <= 14 else many
    else:
        word = one if amount == 1 else many
    return f"{amount} {word}"


def reason(code: str, language: str | None, values: dict, fallback: str = "") -> str:
    """The reason ``code`` in the guest's language, filled from the tool's ``values``;
    ``fallback`` (the tool's own English sentence) for a code without words here."""
    templates = REASONS.get(code)
    if not templates:
        return fallback or code
    template = templates.get(language or "en") or templates["en"]
    if values.get("lead_minutes") is not None:
        values = {**values, "lead": notice_words(values["lead_minutes"], language)}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback or templates["en"].format_map({**values})


# Open-Meteo's WMO weather codes (messaging.clients.weather.WMO_CODES has the English).
WEATHER: dict[int, dict[str, str]] = {
    0: {"id": "cerah", "ru": "ясно", "de": "klarer Himmel"},
    1: {"id": "umumnya cerah", "ru": "преимущественно ясно", "de": "überwiegend klar"},
    2: {"id": "berawan sebagian", "ru": "переменная облачность", "de": "teilweise bewölkt"},
    3: {"id": "mendung", "ru": "пасмурно", "de": "bedeckt"},
    45: {"id": "berkabut", "ru": "туман", "de": "Nebel"},
    48: {"id": "kabut beku", "ru": "изморозь и туман", "de": "Reifnebel"},
    51: {"id": "gerimis ringan", "ru": "слабая морось", "de": "leichter Nieselregen"},
    53: {"id": "gerimis", "ru": "морось", "de": "Nieselregen"},
    55: {"id": "gerimis lebat", "ru": "сильная морось", "de": "starker Nieselregen"},
    56: {"id": "gerimis beku ringan", "ru": "слабая ледяная морось", "de": "leichter gefrierender Nieselregen"},
    57: {"id": "gerimis beku", "ru": "ледяная морось", "de": "gefrierender Nieselregen"},
    61: {"id": "hujan ringan", "ru": "небольшой дождь", "de": "leichter Regen"},
    63: {"id": "hujan", "ru": "дождь", "de": "Regen"},
    65: {"id": "hujan lebat", "ru": "сильный дождь", "de": "starker Regen"},
    66: {"id": "hujan beku ringan", "ru": "слабый ледяной дождь", "de": "leichter gefrierender Regen"},
    67: {"id": "hujan beku", "ru": "ледяной дождь", "de": "gefrierender Regen"},
    71: {"id": "salju ringan", "ru": "небольшой снег", "de": "leichter Schneefall"},
    73: {"id": "salju", "ru": "снег", "de": "Schneefall"},
    75: {"id": "salju lebat", "ru": "сильный снег", "de": "starker Schneefall"},
    77: {"id": "butiran salju", "ru": "снежная крупа", "de": "Schneegriesel"},
    80: {"id": "hujan lokal ringan", "ru": "небольшой ливень", "de": "leichte Regenschauer"},
    81: {"id": "hujan lokal", "ru": "ливень", "de": "Regenschauer"},
    82: {"id": "hujan lokal sangat lebat", "ru": "сильный ливень", "de": "heftige Regenschauer"},
    85: {"id": "hujan salju", "ru": "снегопад", "de": "Schneeschauer"},
    86: {"id": "hujan salju lebat", "ru": "сильный снегопад", "de": "starke Schneeschauer"},
    95: {"id": "badai petir", "ru": "гроза", "de": "Gewitter"},
    96: {"id": "badai petir dengan hujan es", "ru": "гроза с градом", "de": "Gewitter mit Hagel"},
    99: {"id": "badai petir dengan hujan es lebat", "ru": "гроза с сильным градом", "de": "Gewitter mit starkem Hagel"},
}


def weather_words(code, language: str | None, english: str = "") -> str:
    """The weather code's words in the guest's language (``english``, the client's own
    description, for English or a code without words here)."""
    try:
        words = WEATHER.get(int(code), {})
    except (TypeError, ValueError):
        words = {}
    return words.get(language or "en") or english


CATEGORY_WORDS: dict[str, dict[str, str]] = {
    "restaurant": {"id": "restoran", "ru": "рестораны", "de": "Restaurants"},
    "cafe": {"id": "kafe", "ru": "кафе", "de": "Cafés"},
    "beach_club": {"id": "beach club", "ru": "пляжные клубы", "de": "Beachclubs"},
    "bar": {"id": "bar", "ru": "бары", "de": "Bars"},
    "spa": {"id": "spa", "ru": "спа", "de": "Spas"},
    "wellness": {"id": "tempat yoga & wellness", "ru": "йога и велнес", "de": "Yoga & Wellness"},
    "nightclub": {"id": "klub malam", "ru": "ночные клубы", "de": "Nachtclubs"},
    "fitness": {"id": "tempat kebugaran", "ru": "фитнес", "de": "Fitness"},
    "activity": {"id": "aktivitas", "ru": "развлечения", "de": "Aktivitäten"},
    "places": {"id": "tempat", "ru": "места", "de": "Orte"},
}


def category_words(category: str, language: str | None, english: str) -> str:
    """A kind of place in the guest's language (``english``: the English label)."""
    return CATEGORY_WORDS.get(category, {}).get(language or "en") or english


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


def party_breakdown(party: int, children: int, language: str | None = None) -> str:
    """ " (2 adults, 1 child)" for a party with children, "" without: the words agree in number."""
    if not children:
        return ""
    adults = party - children
    adult_words = say("adults_one" if adults == 1 else "adults_many", language, n=adults)
    child_words = say("children_one" if children == 1 else "children_many", language, n=children)
    return f" ({adult_words}, {child_words})"


# --------------------------------------------------------------------------- booking news
# What the guest hears later, unprompted (messaging.notifications, messaging.booking_replies),
# in the language stored on them (``guest_language``).

NOTICES: dict[str, dict[str, str]] = {
    "guests": {"en": "{n} guests", "id": "{n} orang", "ru": "{n} чел.", "de": "{n} Personen"},
    "guest": {"en": "{n} guest", "id": "{n} orang", "ru": "{n} чел.", "de": "{n} Person"},
    "when": {"en": "{day} at {time}", "id": "{day} jam {time}", "ru": "{day}, {time}", "de": "{day} um {time}"},
    "confirmed": {
        "en": "✅ Confirmed: {venue}, {when}, {who}. Reference {ref}. Enjoy!{notes}\nAdd it to your calendar: {url}",
        "id": "✅ Dikonfirmasi: {venue}, {when}, {who}. Kode {ref}. Selamat menikmati!{notes}\nTambahkan ke kalender: {url}",
        "ru": "✅ Подтверждено: {venue}, {when}, {who}. Номер брони {ref}. Приятного вечера!{notes}\nДобавить в календарь: {url}",
        "de": "✅ Bestätigt: {venue}, {when}, {who}. Buchungsnummer {ref}. Viel Spaß!{notes}\nZum Kalender hinzufügen: {url}",
    },
    "dress_code": {
        "en": "Dress code: {x}",
        "id": "Aturan berpakaian: {x}",
        "ru": "Дресс-код: {x}",
        "de": "Dresscode: {x}",
    },
    "children_age": {
        "en": "Children must be {age} or older",
        "id": "Anak-anak minimal berusia {age} tahun",
        "ru": "Детям должно быть не меньше {age} лет",
        "de": "Kinder müssen mindestens {age} Jahre alt sein",
    },
    "guest_age": {
        "en": "Guests must be {age} or older",
        "id": "Tamu minimal berusia {age} tahun",
        "ru": "Гостям должно быть не меньше {age} лет",
        "de": "Gäste müssen mindestens {age} Jahre alt sein",
    },
    "rejected": {
        "en": "Sorry — {venue} couldn't take your booking for {when} ({ref}).{reason} Want me to find another "
        "place or time? Or reply “waitlist” and I'll tell you if a table opens up.",
        "id": "Maaf — {venue} tidak bisa menerima booking Anda untuk {when} ({ref}).{reason} Mau saya carikan "
        "tempat atau jam lain? Atau balas “daftar tunggu” dan saya kabari kalau ada meja kosong.",
        "ru": "К сожалению, {venue} не может принять вашу бронь на {when} ({ref}).{reason} Поискать другое "
        "место или время? Или ответьте «лист ожидания», и я сообщу, если столик освободится.",
        "de": "Leider kann {venue} Ihre Buchung für {when} ({ref}) nicht annehmen.{reason} Soll ich einen anderen "
        "Ort oder eine andere Zeit suchen? Oder antworten Sie „Warteliste“, und ich sage Bescheid, wenn ein Tisch frei wird.",
    },
    "reason": {
        "en": " Reason: {reason}.",
        "id": " Alasan: {reason}.",
        "ru": " Причина: {reason}.",
        "de": " Grund: {reason}.",
    },
    "free_instead": {
        "en": " Free instead: {slots}.",
        "id": " Yang tersedia: {slots}.",
        "ru": " Свободно: {slots}.",
        "de": " Stattdessen frei: {slots}.",
    },
    "counter_offered": {
        "en": "{venue} can't do {when}, but offers {slots} for {who} ({ref}). Shall I book one of those?",
        "id": "{venue} tidak bisa {when}, tapi menawarkan {slots} untuk {who} ({ref}). Mau saya pesankan salah satunya?",
        "ru": "{venue} не может принять вас {when}, но предлагает {slots} на {who} ({ref}). Забронировать один из вариантов?",
        "de": "{venue} kann {when} nicht, bietet aber {slots} für {who} an ({ref}). Soll ich eine davon buchen?",
    },
    "another_time": {"en": "another time", "id": "waktu lain", "ru": "другое время", "de": "eine andere Zeit"},
    "pending_owner": {
        "en": "{venue} needs to approve your request for {when} ({ref}) personally. I'll tell you as soon as they answer.",
        "id": "{venue} perlu menyetujui permintaan Anda untuk {when} ({ref}) secara langsung. Saya kabari begitu mereka menjawab.",
        "ru": "{venue} должен лично одобрить ваш запрос на {when} ({ref}). Я сообщу, как только они ответят.",
        "de": "{venue} muss Ihre Anfrage für {when} ({ref}) persönlich freigeben. Ich sage Bescheid, sobald sie antworten.",
    },
    "cancelled": {
        "en": "Your booking at {venue} for {when} ({ref}) was cancelled.{reason}",
        "id": "Booking Anda di {venue} untuk {when} ({ref}) dibatalkan.{reason}",
        "ru": "Ваша бронь в {venue} на {when} ({ref}) отменена.{reason}",
        "de": "Ihre Buchung bei {venue} für {when} ({ref}) wurde storniert.{reason}",
    },
    "offer_lapsed": {
        "en": "The other times {venue} offered instead of {when} ({ref}) have lapsed.{reason} Shall I look again?",
        "id": "Waktu lain yang ditawarkan {venue} sebagai ganti {when} ({ref}) sudah kedaluwarsa.{reason} Mau saya cari lagi?",
        "ru": "Другие варианты, которые {venue} предлагал вместо {when} ({ref}), больше не действуют.{reason} Поискать снова?",
        "de": "Die anderen Zeiten, die {venue} statt {when} ({ref}) angeboten hat, sind verfallen.{reason} Soll ich erneut suchen?",
    },
    "expired": {
        "en": "{venue} didn't answer your request for {when} in time ({ref}), so it has lapsed.{reason} Shall I try somewhere else?",
        "id": "{venue} tidak menjawab permintaan Anda untuk {when} tepat waktu ({ref}), jadi permintaan itu kedaluwarsa.{reason} Mau saya coba tempat lain?",
        "ru": "{venue} не ответил вовремя на ваш запрос на {when} ({ref}), поэтому он истёк.{reason} Попробовать другое место?",
        "de": "{venue} hat auf Ihre Anfrage für {when} nicht rechtzeitig geantwortet ({ref}), daher ist sie verfallen.{reason} Soll ich es woanders versuchen?",
    },
    "owner_review": {
        "en": "New booking request for {venue} needs your approval: {who}, {when} ({ref}).",
        "id": "Permintaan booking baru untuk {venue} perlu persetujuan Anda: {who}, {when} ({ref}).",
        "ru": "Новый запрос брони в {venue} ждёт вашего решения: {who}, {when} ({ref}).",
        "de": "Neue Buchungsanfrage für {venue} wartet auf Ihre Freigabe: {who}, {when} ({ref}).",
    },
    "owner_guest": {"en": "Guest: {name}.", "id": "Tamu: {name}.", "ru": "Гость: {name}.", "de": "Gast: {name}."},
    "owner_requests": {
        "en": "Special requests: {text}",
        "id": "Permintaan khusus: {text}",
        "ru": "Особые пожелания: {text}",
        "de": "Besondere Wünsche: {text}",
    },
    "owner_approve": {
        "en": "Approve or decline in the back office{by}: {url}. Without an answer, the guest is declined politely with other times.",
        "id": "Setujui atau tolak di back office{by}: {url}. Tanpa jawaban, tamu akan ditolak dengan sopan dan ditawari jam lain.",
        "ru": "Подтвердите или отклоните в панели управления{by}: {url}. Без ответа гостю вежливо откажут и предложат другое время.",
        "de": "Bestätigen oder ablehnen im Backoffice{by}: {url}. Ohne Antwort wird der Gast höflich abgelehnt und bekommt andere Zeiten.",
    },
    "owner_by": {"en": " by {time}", "id": " sebelum jam {time}", "ru": " до {time}", "de": " bis {time} Uhr"},
    "owner_subject": {
        "en": "Approve booking {ref} at {venue}?",
        "id": "Setujui booking {ref} di {venue}?",
        "ru": "Подтвердить бронь {ref} в {venue}?",
        "de": "Buchung {ref} bei {venue} bestätigen?",
    },
    "status_now": {
        "en": "Your booking {ref} at {venue} is now {status}.",
        "id": "Booking {ref} Anda di {venue} sekarang berstatus: {status}.",
        "ru": "Статус вашей брони {ref} в {venue}: {status}.",
        "de": "Ihre Buchung {ref} bei {venue} hat jetzt den Status: {status}.",
    },
    "moved": {
        "en": "🕒 Your booking at {venue} ({ref}) has moved: it is now {when} for {who}. "
        "Reply here if that time does not suit you.",
        "id": "🕒 Booking Anda di {venue} ({ref}) dipindah: sekarang {when} untuk {who}. "
        "Balas di sini kalau waktunya tidak cocok.",
        "ru": "🕒 Ваша бронь в {venue} ({ref}) перенесена: теперь {when} на {who}. "
        "Напишите сюда, если это время вам не подходит.",
        "de": "🕒 Ihre Buchung bei {venue} ({ref}) wurde verschoben: jetzt {when} für {who}. "
        "Antworten Sie hier, wenn Ihnen die Zeit nicht passt.",
    },
    "unreachable": {
        "en": "{venue}'s booking agent can't be reached right now, so your request {ref} isn't confirmed yet. "
        "I'll keep trying and tell you as soon as they answer.",
        "id": "Agen booking {venue} sedang tidak bisa dihubungi, jadi permintaan Anda {ref} belum dikonfirmasi. "
        "Saya akan terus mencoba dan mengabari begitu mereka menjawab.",
        "ru": "Агент бронирования {venue} сейчас недоступен, поэтому ваш запрос {ref} ещё не подтверждён. "
        "Я продолжу попытки и сообщу, как только они ответят.",
        "de": "Der Buchungsagent von {venue} ist gerade nicht erreichbar, daher ist Ihre Anfrage {ref} noch nicht bestätigt. "
        "Ich versuche es weiter und sage Bescheid, sobald sie antworten.",
    },
    "reminder_soon": {
        "en": "⏰ See you soon: {venue}{where}, {when} for {who}.",
        "id": "⏰ Sampai jumpa: {venue}{where}, {when} untuk {who}.",
        "ru": "⏰ До скорой встречи: {venue}{where}, {when}, {who}.",
        "de": "⏰ Bis gleich: {venue}{where}, {when} für {who}.",
    },
    "reminder": {
        "en": "⏰ Reminder: your table at {venue}{where} is {when} for {who}.",
        "id": "⏰ Pengingat: meja Anda di {venue}{where} {when} untuk {who}.",
        "ru": "⏰ Напоминание: ваш столик в {venue}{where} — {when}, {who}.",
        "de": "⏰ Erinnerung: Ihr Tisch bei {venue}{where} ist {when} für {who}.",
    },
    "reference": {
        "en": "Reference {ref}.",
        "id": "Kode {ref}.",
        "ru": "Номер брони {ref}.",
        "de": "Buchungsnummer {ref}.",
    },
    "still_coming": {"en": "Still coming?", "id": "Tetap datang?", "ru": "Всё в силе?", "de": "Kommen Sie noch?"},
    "still_coming_reply": {
        "en": 'Still coming? Reply "keep" to keep it or "cancel" to cancel it.',
        "id": 'Tetap datang? Balas "keep" untuk mempertahankan atau "cancel" untuk membatalkan.',
        "ru": 'Всё в силе? Ответьте "keep", чтобы оставить бронь, или "cancel", чтобы отменить.',
        "de": 'Kommen Sie noch? Antworten Sie "keep" zum Behalten oder "cancel" zum Stornieren.',
    },
    "keep_button": {"en": "✅ Keep", "id": "✅ Tetap", "ru": "✅ Оставить", "de": "✅ Behalten"},
    "cancel_button": {"en": "❌ Cancel", "id": "❌ Batalkan", "ru": "❌ Отменить", "de": "❌ Stornieren"},
    "rating_request": {
        "en": "How was {venue} on {day}? Rate your visit from 1 to 5 — {how}. It helps other guests and the venue ({ref}).",
        "id": "Bagaimana {venue} pada {day}? Beri nilai kunjungan Anda dari 1 sampai 5 — {how}. Ini membantu tamu lain dan tempatnya ({ref}).",
        "ru": "Как вам {venue} ({day})? Оцените визит от 1 до 5 — {how}. Это поможет другим гостям и заведению ({ref}).",
        "de": "Wie war es bei {venue} am {day}? Bewerten Sie Ihren Besuch von 1 bis 5 — {how}. Das hilft anderen Gästen und dem Lokal ({ref}).",
    },
    "rate_tap": {
        "en": "Tap a star",
        "id": "Ketuk bintang",
        "ru": "Нажмите на звезду",
        "de": "Tippen Sie auf einen Stern",
    },
    "rate_reply": {
        "en": 'Reply "rate" and a score from 1 to 5, e.g. "rate 4 lovely sunset"',
        "id": 'Balas "rate" dan nilai 1 sampai 5, misalnya "rate 4 sunset indah"',
        "ru": 'Ответьте "rate" и оценкой от 1 до 5, например "rate 4 чудесный закат"',
        "de": 'Antworten Sie "rate" und eine Note von 1 bis 5, z. B. "rate 4 schöner Sonnenuntergang"',
    },
    "waitlist_offer": {
        "en": "Good news — a table for {who} just opened up at {venue} on {when}. You were on the waitlist; "
        "want me to book it? Reply soon: the first guest to book gets it.",
        "id": "Kabar baik — meja untuk {who} baru saja kosong di {venue} pada {when}. Anda ada di daftar tunggu; "
        "mau saya pesankan? Balas segera: tamu pertama yang memesan yang dapat.",
        "ru": "Хорошие новости — в {venue} освободился столик на {who}: {when}. Вы были в листе ожидания; "
        "забронировать? Ответьте поскорее: столик достанется тому, кто забронирует первым.",
        "de": "Gute Nachricht — bei {venue} ist gerade ein Tisch für {who} frei geworden: {when}. Sie standen auf der Warteliste; "
        "soll ich ihn buchen? Antworten Sie bald: Wer zuerst bucht, bekommt ihn.",
    },
    "waitlist_joined": {
        "en": "You're on the waitlist for {venue}, {when}, {who}. I'll message you as soon as a table opens up.",
        "id": "Anda masuk daftar tunggu untuk {venue}, {when}, {who}. Saya kabari begitu ada meja kosong.",
        "ru": "Вы в листе ожидания {venue}: {when}, {who}. Я напишу, как только освободится столик.",
        "de": "Sie stehen auf der Warteliste für {venue}, {when}, {who}. Ich melde mich, sobald ein Tisch frei wird.",
    },
    "waitlist_failed": {
        "en": "I couldn't put you on the waitlist: {error}.",
        "id": "Saya tidak bisa memasukkan Anda ke daftar tunggu: {error}.",
        "ru": "Не получилось поставить вас в лист ожидания: {error}.",
        "de": "Ich konnte Sie nicht auf die Warteliste setzen: {error}.",
    },
    "kept": {
        "en": "Great — see you at {venue} on {when}! ({ref})",
        "id": "Sip — sampai jumpa di {venue} pada {when}! ({ref})",
        "ru": "Отлично — ждём вас в {venue}: {when}! ({ref})",
        "de": "Prima — bis bald bei {venue}, {when}! ({ref})",
    },
    "guest_cancelled": {
        "en": "Done — your booking at {venue} on {when} ({ref}) is cancelled.{note}",
        "id": "Beres — booking Anda di {venue} pada {when} ({ref}) dibatalkan.{note}",
        "ru": "Готово — ваша бронь в {venue} на {when} ({ref}) отменена.{note}",
        "de": "Erledigt — Ihre Buchung bei {venue} am {when} ({ref}) ist storniert.{note}",
    },
    "deposit_kept": {
        "en": " It was within {hours} h of the booking, so the venue's policy may keep the deposit.",
        "id": " Pembatalan kurang dari {hours} jam sebelumnya, jadi sesuai kebijakan tempatnya deposit bisa hangus.",
        "ru": " До визита оставалось меньше {hours} ч, поэтому по правилам заведения депозит может не вернуться.",
        "de": " Das war weniger als {hours} Std. vorher, daher kann das Lokal laut seinen Regeln die Anzahlung behalten.",
    },
    "rated": {
        "en": "Thank you! {stars} for {venue} is recorded.",
        "id": "Terima kasih! {stars} untuk {venue} sudah dicatat.",
        "ru": "Спасибо! Оценка {stars} для {venue} сохранена.",
        "de": "Danke! {stars} für {venue} ist gespeichert.",
    },
}

GUEST_LANGUAGES = ("en", "id", "ru", "de")


# A booking's status as the guest reads it (push titles, "is now …"); English from the model.
BOOKING_STATUS_WORDS: dict[str, dict[str, str]] = {
    "requested": {"id": "diminta", "ru": "запрошена", "de": "angefragt"},
    "pending_owner": {
        "id": "menunggu persetujuan tempat",
        "ru": "ждёт подтверждения заведения",
        "de": "wartet auf Freigabe",
    },
    "counter_offered": {"id": "ditawari waktu lain", "ru": "предложено другое время", "de": "Gegenangebot"},
    "confirmed": {"id": "dikonfirmasi", "ru": "подтверждена", "de": "bestätigt"},
    "rejected": {"id": "ditolak", "ru": "отклонена", "de": "abgelehnt"},
    "cancelled": {"id": "dibatalkan", "ru": "отменена", "de": "storniert"},
    "expired": {"id": "kedaluwarsa", "ru": "истекла", "de": "verfallen"},
    "completed": {"id": "selesai", "ru": "завершена", "de": "abgeschlossen"},
    "no_show": {"id": "tidak datang", "ru": "неявка", "de": "nicht erschienen"},
}


def status_words(status: str, language: str | None, english: str) -> str:
    """A booking status in the guest's language (``english``: the model's label)."""
    return BOOKING_STATUS_WORDS.get(status, {}).get(language or "en") or english


def guest_language(user) -> str:
    """The language to write to ``user`` in: the one stored on them (the last one detected
    in their conversation), English for a language without templates here."""
    code = str(getattr(user, "language", "") or "en").split("-")[0].lower()
    return code if code in GUEST_LANGUAGES else "en"


def notice(key: str, language: str | None = None, **values) -> str:
    """A booking-news template of ``NOTICES`` in ``language`` (English when missing)."""
    templates = NOTICES[key]
    template = templates.get(language or "en") or templates["en"]
    # an abbreviation ending a value ("3 чел.") takes the sentence's full stop: one stop, not two
    return _DOUBLE_STOP.sub(".", template.format(**values))


_DOUBLE_STOP = re.compile(r"(?<=\w)\.\.(?=\s|$)")


def when_words(local, language: str | None, now_local=None) -> str:
    """ "Fri 13 Mar at 19:30" in the guest's language; "today"/"tomorrow" when ``now_local`` is given."""
    language = language or "en"
    day = None
    if now_local is not None:
        if local.date() == now_local.date():
            day = CATALOGUE["today"].get(language, "today")
        elif (local.date() - now_local.date()).days == 1:
            day = CATALOGUE["tomorrow"].get(language, "tomorrow")
    if day is None:
        day = f"{local:%a %d %b}" if language not in WEEKDAYS else date_words(local.date(), language)
    return notice("when", language, day=day, time=f"{local:%H:%M}")


def day_words(local, language: str | None) -> str:
    return f"{local:%a %d %b}" if (language or "en") not in WEEKDAYS else date_words(local.date(), language)


def guests_words(n: int, language: str | None) -> str:
    return notice("guest" if n == 1 else "guests", language, n=n)
