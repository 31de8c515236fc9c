"""Demo data for the Bali launch: five cities, their neighbourhoods, 73 venues and a few users.

Plain Python data only (no Django imports) so it can be loaded by a seeding command, by
tests or by a notebook alike. Every venue dict carries exactly the keys in
:data:`VENUE_KEYS`; decimals are strings (``"250000.00"``), amounts are in IDR, and
``opening_hours`` follows the :class:`venues.models.Venue` convention: ``mon``..``sun``
mapped to lists of ``["HH:MM", "HH:MM"]`` intervals, where a closing time before the
opening time runs past midnight.

All venue names, phone numbers, e-mail addresses and handles are fictional. Run
:func:`validate` after editing.
"""

from __future__ import annotations

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CATEGORIES = (
    "restaurant",
    "cafe",
    "beach_club",
    "bar",
    "spa",
    "wellness",
    "nightclub",
    "fitness",
    "activity",
)

VENUE_KEYS = frozenset(
    {
        "name",
        "slug",
        "city",
        "category",
        "area",
        "address",
        "latitude",
        "longitude",
        "description",
        "knowledge_text",
        "tags",
        "cuisines",
        "price_level",
        "average_spend",
        "capacity",
        "opening_hours",
        "slot_minutes",
        "covers_per_slot",
        "min_party_size",
        "max_party_size",
        "booking_lead_minutes",
        "booking_window_days",
        "deposit_required",
        "deposit_amount",
        "cancellation_window_hours",
        "minimum_spend",
        "kids_allowed",
        "dress_code",
        "referral_fee_pct",
        "priority_rank",
        "rating_average",
        "rating_count",
        "phone",
        "whatsapp",
        "email",
        "website",
        "instagram",
    }
)


def _hours(spec: str, closed: str = "", **days: str) -> dict[str, list[list[str]]]:
    """Build an ``opening_hours`` dict.

    ``spec`` ("12:00-15:00 18:00-23:00") applies to every day, ``closed`` names days that
    are shut ("mon tue") and keyword arguments override single days (``fri="17:00-01:00"``).
    """
    shut = set(closed.split())
    return {
        day: [] if day in shut else [interval.split("-") for interval in days.get(day, spec).split()] for day in DAYS
    }


def _t(text: str) -> str:
    """Collapse a wrapped triple-quoted paragraph into a single line of text."""
    return " ".join(text.split())


# --------------------------------------------------------------------------------------
# Cities and neighbourhoods
# --------------------------------------------------------------------------------------

CITIES = [
    {
        "name": "Canggu",
        "slug": "canggu",
        "latitude": "-8.647800",
        "longitude": "115.138500",
        "description": _t(
            """Bali's surf-and-brunch coast, stretching from Berawa through Batu Bolong and Echo Beach
            to Pererenan. Rice fields sit between beach clubs, specialty cafés and co-working spaces."""
        ),
        "launched_on": "2025-11-03",
    },
    {
        "name": "Seminyak",
        "slug": "seminyak",
        "latitude": "-8.691300",
        "longitude": "115.168300",
        "description": _t(
            """Bali's most polished dining and shopping strip, running from Drupadi and Oberoi up to
            Petitenget and Batu Belig. Known for sunset beach clubs, cocktail bars and late nights."""
        ),
        "launched_on": "2025-12-01",
    },
    {
        "name": "Ubud",
        "slug": "ubud",
        "latitude": "-8.506900",
        "longitude": "115.262500",
        "description": _t(
            """Bali's cultural heart in the green hills above the Ayung River, surrounded by rice
            terraces and jungle valleys. Home to yoga shalas, healing spas and plant-based kitchens."""
        ),
        "launched_on": "2026-02-02",
    },
    {
        "name": "Uluwatu",
        "slug": "uluwatu",
        "latitude": "-8.814700",
        "longitude": "115.106800",
        "description": _t(
            """The limestone Bukit peninsula at Bali's southern tip, with world-class reef breaks from
            Bingin to Suluban. Clifftop restaurants and pool clubs face some of the island's best sunsets."""
        ),
        "launched_on": "2026-01-12",
    },
    {
        "name": "Sanur",
        "slug": "sanur",
        "latitude": "-8.688200",
        "longitude": "115.262000",
        "description": _t(
            """A calm, reef-protected east-coast town with a long beachfront promenade and sunrise views
            of Nusa Penida. Popular with families, long-stayers and kitesurfers."""
        ),
        "launched_on": "2026-03-02",
    },
]

AREAS = {
    "canggu": ["Batu Bolong", "Berawa", "Pererenan", "Echo Beach", "Babakan"],
    "seminyak": ["Petitenget", "Oberoi", "Batu Belig", "Drupadi"],
    "ubud": ["Penestanan", "Monkey Forest Road", "Jalan Goutama", "Sayan", "Tegallalang", "Nyuh Kuning"],
    "uluwatu": ["Bingin", "Padang Padang", "Pecatu", "Suluban", "Melasti"],
    "sanur": ["Sindhu", "Semawang", "Mertasari", "Danau Tamblingan"],
}


# --------------------------------------------------------------------------------------
# Venues: Canggu
# --------------------------------------------------------------------------------------

_CANGGU = [
    {
        "name": "Tanah Ember Kitchen",
        "slug": "tanah-ember-kitchen-canggu",
        "city": "canggu",
        "category": "restaurant",
        "area": "Berawa",
        "address": "Jl. Pantai Berawa No. 48, Berawa, Canggu",
        "latitude": "-8.661240",
        "longitude": "115.141870",
        "description": _t(
            """Wood-fired modern Indonesian kitchen with an open ember grill and a shaded garden terrace.
            The menu is built around Balinese spice pastes and produce from farms in Tabanan."""
        ),
        "knowledge_text": _t(
            """Signature dishes: smoked duck betutu (IDR 185k), charred octopus with sambal matah
            (IDR 165k) and ember-roasted pumpkin with cashew cream (IDR 95k, vegan). The seven-course
            chef's tasting menu is IDR 650k, or IDR 950k with wine pairing; order it before 21:00.
            Roughly a third of the menu is vegan and gluten-free dishes are marked; the kitchen cannot
            guarantee nut-free. Kids are welcome, with high chairs and a kids' plate for IDR 75k. Free
            parking for 12 cars plus scooters. Book the terrace for 18:00 to catch golden hour. Visa,
            Mastercard, Amex (3% surcharge), QRIS and cash accepted. Free wifi. Smart casual. Walk-ins
            are accepted at the bar."""
        ),
        "tags": ["date-night", "wood-fired", "garden", "vegan-friendly", "local-produce"],
        "cuisines": ["indonesian", "balinese", "modern"],
        "price_level": 3,
        "average_spend": "380000.00",
        "capacity": 110,
        "opening_hours": _hours("12:00-15:00 17:30-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 18,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 60,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Smart casual",
        "referral_fee_pct": "10.00",
        "priority_rank": 82,
        "rating_average": "4.62",
        "rating_count": 1284,
        "phone": "+62 361 473 8291",
        "whatsapp": "+62 812 3845 2210",
        "email": "hello@tanahember.example",
        "website": "https://tanah-ember-kitchen-canggu.example",
        "instagram": "tanahember.canggu",
    },
    {
        "name": "Kelapa & Koji",
        "slug": "kelapa-koji-pererenan-canggu",
        "city": "canggu",
        "category": "restaurant",
        "area": "Pererenan",
        "address": "Jl. Pantai Pererenan No. 112, Pererenan, Canggu",
        "latitude": "-8.646930",
        "longitude": "115.121480",
        "description": _t(
            """A Japanese izakaya with Indonesian accents that ferments its own koji, miso and tempeh
            garum. Counter seats face the robata grill."""
        ),
        "knowledge_text": _t(
            """Signature dishes: koji-aged tuna tataki (IDR 155k), wagyu tsukune skewers with sambal egg
            yolk (IDR 98k for two) and tempeh karaage (IDR 65k, vegan). The omakase counter runs at 19:00
            and 21:00 for IDR 890k per person and is prepaid when booking; regular tables need no
            deposit. Vegan options are limited to about six plates; soy sauce contains wheat, so
            gluten-free guests should ask for tamari. Adults only (18+). No dedicated parking: scooters
            park on the street and cars use the paid lot at Pererenan beach. The sake list has 40
            labels, with happy hour from 17:00 to 18:30. Cards and QRIS only, no cash. Closed Mondays."""
        ),
        "tags": ["izakaya", "sake", "date-night", "counter-seating", "adults-only"],
        "cuisines": ["japanese", "indonesian", "fusion"],
        "price_level": 3,
        "average_spend": "420000.00",
        "capacity": 64,
        "opening_hours": _hours("17:00-00:00", closed="mon"),
        "slot_minutes": 30,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 120,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 70,
        "rating_average": "4.71",
        "rating_count": 642,
        "phone": "+62 813 3720 5518",
        "whatsapp": "+62 813 3720 5518",
        "email": "reservations@kelapakoji.example",
        "website": "https://kelapa-koji-pererenan-canggu.example",
        "instagram": "kelapa.koji",
    },
    {
        "name": "Luma Trattoria",
        "slug": "luma-trattoria-canggu",
        "city": "canggu",
        "category": "restaurant",
        "area": "Batu Bolong",
        "address": "Jl. Pantai Batu Bolong No. 67, Batu Bolong, Canggu",
        "latitude": "-8.657820",
        "longitude": "115.130960",
        "description": _t(
            """Family-run Italian trattoria with a wood-fired pizza oven and handmade pasta. Long tables
            and a sandpit out back make it a favourite with families."""
        ),
        "knowledge_text": _t(
            """Signature dishes: burrata with Kintamani tomatoes (IDR 125k), cacio e pepe (IDR 115k) and
            the diavola pizza (IDR 135k). Gluten-free pizza bases cost IDR 25k extra and are baked on a
            separate stone; vegan cheese is available on any pizza. There is a shaded sandpit and a
            kids' corner with colouring, and the kids' menu (pasta or mini pizza with juice) is IDR 65k.
            Parking for 8 cars at the back plus scooter parking in front. Quietest at lunch; Friday and
            Saturday evenings book out by 19:00. Takes cash, QRIS, Visa and Mastercard. Free wifi. Groups
            of up to 20 can reserve the long table."""
        ),
        "tags": ["pizza", "family-friendly", "kids-area", "pasta", "gluten-free-options"],
        "cuisines": ["italian", "pizza"],
        "price_level": 2,
        "average_spend": "220000.00",
        "capacity": 140,
        "opening_hours": _hours("11:30-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 24,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 30,
        "booking_window_days": 45,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 68,
        "rating_average": "4.48",
        "rating_count": 2310,
        "phone": "+62 361 844 6127",
        "whatsapp": "+62 819 9921 4406",
        "email": "ciao@lumatrattoria.example",
        "website": "https://luma-trattoria-canggu.example",
        "instagram": "luma.trattoria",
    },
    {
        "name": "Warung Ombak Biru",
        "slug": "warung-ombak-biru-canggu",
        "city": "canggu",
        "category": "restaurant",
        "area": "Babakan",
        "address": "Jl. Raya Babakan Canggu No. 9, Babakan, Canggu",
        "latitude": "-8.642640",
        "longitude": "115.139310",
        "description": _t(
            """A simple, open-sided warung serving nasi campur and Balinese classics at local prices.
            Popular with surfers and the neighbourhood's builders alike."""
        ),
        "knowledge_text": _t(
            """Build-your-own nasi campur from the glass counter costs IDR 35k to 60k depending on how
            many dishes you pick. Favourites are ayam betutu (IDR 45k), sate lilit ikan (IDR 38k) and the
            tempeh and tofu vegan plate (IDR 30k). Gluten-free is hard here because most sauces contain
            kecap manis. Kids are welcome, though there are no high chairs. Scooter parking only; cars
            park on the road. Cash and QRIS only, no cards. No wifi. Come before 12:30 when the counter
            is fullest. Reservations are only needed for groups of six or more. Sundays close at 15:00."""
        ),
        "tags": ["budget", "local-food", "nasi-campur", "vegetarian-friendly", "quick-bite"],
        "cuisines": ["indonesian", "balinese"],
        "price_level": 1,
        "average_spend": "65000.00",
        "capacity": 48,
        "opening_hours": _hours("08:00-21:30", sun="08:00-15:00"),
        "slot_minutes": 60,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 40,
        "rating_average": "4.51",
        "rating_count": 917,
        "phone": "+62 878 6102 3395",
        "whatsapp": "+62 878 6102 3395",
        "email": "ombakbiru@warung.example",
        "website": "",
        "instagram": "warungombakbiru",
    },
    {
        "name": "Saltwater Grind",
        "slug": "saltwater-grind-canggu",
        "city": "canggu",
        "category": "cafe",
        "area": "Batu Bolong",
        "address": "Jl. Pantai Batu Bolong No. 31, Batu Bolong, Canggu",
        "latitude": "-8.655410",
        "longitude": "115.132140",
        "description": _t(
            """Specialty coffee bar roasting single-origin Indonesian beans in-house. The air-conditioned
            back room is built for remote workers."""
        ),
        "knowledge_text": _t(
            """Known for the Kintamani natural-process pour-over (IDR 55k), the iced coconut long black
            (IDR 45k) and smashed avocado on sourdough with chilli oil (IDR 95k). Oat, almond and soy
            milk cost IDR 8k extra; gluten-free bread is available for the toasts. The air-conditioned
            co-working room has 24 seats, power at every desk and 200 Mbps fibre wifi; a day pass is
            IDR 100k including one coffee. Laptops are not allowed on the front terrace at weekends
            09:00 to 13:00. Kids are welcome in the front room. Scooter parking only. Accepts cards, QRIS
            and cash. Bookings are for the co-working room and meeting pod only."""
        ),
        "tags": ["laptop-friendly", "specialty-coffee", "air-conditioned", "brunch", "fast-wifi"],
        "cuisines": ["cafe", "brunch"],
        "price_level": 2,
        "average_spend": "120000.00",
        "capacity": 60,
        "opening_hours": _hours("07:00-17:00"),
        "slot_minutes": 60,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.00",
        "priority_rank": 55,
        "rating_average": "4.57",
        "rating_count": 1873,
        "phone": "+62 812 4678 0913",
        "whatsapp": "+62 812 4678 0913",
        "email": "brew@saltwatergrind.example",
        "website": "https://saltwater-grind-canggu.example",
        "instagram": "saltwatergrind",
    },
    {
        "name": "Padi Loaf Bakery",
        "slug": "padi-loaf-bakery-canggu",
        "city": "canggu",
        "category": "cafe",
        "area": "Pererenan",
        "address": "Jl. Pemelisan Agung No. 14, Pererenan, Canggu",
        "latitude": "-8.643980",
        "longitude": "115.124560",
        "description": _t(
            """A bakery-café overlooking the last rice fields in Pererenan, baking sourdough and laminated
            pastries from dawn. Brunch is served all day on a timber deck above the paddies."""
        ),
        "knowledge_text": _t(
            """The almond croissant (IDR 48k) sells out by 10:00 most days; brunch favourites are
            shakshuka with sourdough (IDR 110k), ricotta hotcakes with mango (IDR 105k) and the vegan
            tempeh benedict (IDR 115k). A gluten-free seeded loaf is baked on Tuesday and Friday. Kids
            get a small play lawn beside the deck, high chairs and a free babycino. Parking for 10 cars
            on the gravel lot. Arrive before 08:30 or after 13:00 to avoid the weekend queue; deck tables
            facing the rice fields can be reserved, indoor seats are walk-in only. Cards, QRIS and cash.
            Wifi is available, but laptops are asked to stay off the deck at weekends."""
        ),
        "tags": ["brunch", "bakery", "rice-field-view", "family-friendly", "gluten-free-options"],
        "cuisines": ["bakery", "cafe", "brunch"],
        "price_level": 2,
        "average_spend": "140000.00",
        "capacity": 70,
        "opening_hours": _hours("06:30-16:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "7.00",
        "priority_rank": 62,
        "rating_average": "4.66",
        "rating_count": 1532,
        "phone": "+62 361 907 2284",
        "whatsapp": "+62 821 4409 7712",
        "email": "bake@padiloaf.example",
        "website": "https://padi-loaf-bakery-canggu.example",
        "instagram": "padiloaf",
    },
    {
        "name": "Green Orbit Café",
        "slug": "green-orbit-cafe-canggu",
        "city": "canggu",
        "category": "cafe",
        "area": "Berawa",
        "address": "Jl. Raya Semat No. 18, Berawa, Canggu",
        "latitude": "-8.659270",
        "longitude": "115.145110",
        "description": _t(
            """A fully plant-based café with smoothie bowls, raw cakes and Indonesian vegan plates.
            Everything is made without refined sugar."""
        ),
        "knowledge_text": _t(
            """Fully vegan kitchen: no dairy, eggs or honey. Signature plates are the Dragon Orbit
            smoothie bowl (IDR 75k), jackfruit rendang with red rice (IDR 85k) and a raw salted-caramel
            cheesecake (IDR 55k). About 70% of the menu is gluten-free and the tempeh is cooked in a
            nut-free fryer. Kids are welcome, with a half-size bowl for IDR 45k. Small scooter lot; car
            parking on Jl. Raya Semat is difficult after 17:00. Wifi is free and laptop users are welcome
            all day upstairs. Cards (no Amex), QRIS and cash. Bookings are only needed for groups; for
            more than eight people, message the café on WhatsApp."""
        ),
        "tags": ["vegan", "plant-based", "smoothie-bowls", "healthy", "laptop-friendly"],
        "cuisines": ["vegan", "healthy", "indonesian"],
        "price_level": 2,
        "average_spend": "110000.00",
        "capacity": 45,
        "opening_hours": _hours("07:30-21:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "7.50",
        "priority_rank": 58,
        "rating_average": "4.59",
        "rating_count": 1108,
        "phone": "+62 813 5388 1046",
        "whatsapp": "+62 813 5388 1046",
        "email": "hi@greenorbit.example",
        "website": "https://green-orbit-cafe-canggu.example",
        "instagram": "greenorbit.cafe",
    },
    {
        "name": "Tidehouse Beach Club",
        "slug": "tidehouse-beach-club-canggu",
        "city": "canggu",
        "category": "beach_club",
        "area": "Berawa",
        "address": "Jl. Pantai Berawa No. 99, Berawa, Canggu",
        "latitude": "-8.665410",
        "longitude": "115.139870",
        "description": _t(
            """A family-friendly beach club on Berawa beach with a 40-metre lagoon pool and a supervised
            kids' club. Daybeds, cabanas and a wood-fired grill face the surf."""
        ),
        "knowledge_text": _t(
            """The Tide Kids Club (ages 3 to 12) runs 10:00 to 18:00 with supervised crafts, a splash
            pool and a trampoline; it is free for guests, and nannies can be booked for IDR 150k per
            hour. Daybeds carry a minimum spend of IDR 1.5 million (up to 4 people) and cabanas IDR 4
            million (up to 8), with a IDR 500k deposit credited to the bill. Entry to the bar and lawn is
            free without a booking. Favourites: grilled prawns with garlic butter (IDR 210k), lamb
            shoulder flatbread (IDR 185k) and a vegan mezze board (IDR 145k); gluten-free buns on
            request. Valet parking IDR 20k. Sunset is busiest; arrive before 15:00 for a pool-front bed.
            Cards and QRIS only."""
        ),
        "tags": ["kids-area", "pool", "family-friendly", "sunset", "daybeds"],
        "cuisines": ["mediterranean", "grill", "international"],
        "price_level": 3,
        "average_spend": "450000.00",
        "capacity": 650,
        "opening_hours": _hours("09:00-23:00"),
        "slot_minutes": 60,
        "covers_per_slot": 80,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 60,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "500000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": "1500000.00",
        "kids_allowed": True,
        "dress_code": "Swimwear welcome by the pool; cover up in the restaurant",
        "referral_fee_pct": "12.00",
        "priority_rank": 88,
        "rating_average": "4.44",
        "rating_count": 5210,
        "phone": "+62 361 620 5590",
        "whatsapp": "+62 811 3860 2299",
        "email": "daybeds@tidehouse.example",
        "website": "https://tidehouse-beach-club-canggu.example",
        "instagram": "tidehouse.bali",
    },
    {
        "name": "Lava Sands Club",
        "slug": "lava-sands-club-canggu",
        "city": "canggu",
        "category": "beach_club",
        "area": "Echo Beach",
        "address": "Jl. Pura Batu Mejan No. 8, Echo Beach, Canggu",
        "latitude": "-8.654580",
        "longitude": "115.123910",
        "description": _t(
            """An adults-only beach club on the black sand at Echo Beach, with resident DJs, a sunken bar
            and an infinity pool. Known for big Sunday sunset sessions."""
        ),
        "knowledge_text": _t(
            """Strictly 18+, with ID checks at the door after 16:00. Pool daybeds have a minimum spend of
            IDR 3 million for four guests and the front-row sunset beds IDR 5 million; a IDR 1 million
            deposit secures the booking and is non-refundable inside 72 hours. Bar seating and the lawn
            are free entry. Sunday Sunset Sessions run 15:00 to midnight with guest DJs. Signatures: tuna
            poke bowl (IDR 145k), wagyu sliders (IDR 195k) and the Lava Spritz (IDR 160k). Vegan options
            are a few bowls and a coconut sorbet; gluten-free is not guaranteed. Paid parking next door
            (IDR 10k scooter, IDR 25k car). Cards only, no cash. No football jerseys."""
        ),
        "tags": ["adults-only", "sunset", "dj", "pool", "daybeds", "party"],
        "cuisines": ["asian-fusion", "grill", "seafood"],
        "price_level": 3,
        "average_spend": "550000.00",
        "capacity": 820,
        "opening_hours": _hours("10:00-00:00", fri="10:00-01:00", sat="10:00-01:00"),
        "slot_minutes": 60,
        "covers_per_slot": 100,
        "min_party_size": 2,
        "max_party_size": 16,
        "booking_lead_minutes": 120,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "1000000.00",
        "cancellation_window_hours": 72,
        "minimum_spend": "3000000.00",
        "kids_allowed": False,
        "dress_code": "No football jerseys; swimwear fine by the pool",
        "referral_fee_pct": "13.50",
        "priority_rank": 85,
        "rating_average": "4.31",
        "rating_count": 6875,
        "phone": "+62 361 300 7781",
        "whatsapp": "+62 811 3977 4410",
        "email": "vip@lavasands.example",
        "website": "https://lava-sands-club-canggu.example",
        "instagram": "lavasands.echobeach",
    },
    {
        "name": "Nocturne Wine Bar",
        "slug": "nocturne-wine-bar-canggu",
        "city": "canggu",
        "category": "bar",
        "area": "Pererenan",
        "address": "Jl. Pantai Pererenan No. 140, Pererenan, Canggu",
        "latitude": "-8.648770",
        "longitude": "115.120620",
        "description": _t(
            """Candle-lit natural wine bar with 120 low-intervention labels and seasonal small plates.
            Vinyl only, no screens."""
        ),
        "knowledge_text": _t(
            """Around 120 natural and low-intervention wines, with 18 by the glass from IDR 135k and
            bottles from IDR 650k, including a shelf of Indonesian-made wines. Snacks: house focaccia with
            cultured butter (IDR 55k), grilled leeks with romesco (IDR 85k, vegan and gluten-free) and a
            cheese plate (IDR 195k). Over-18s only. Half the seats are kept for walk-ins; reservations
            are held for 15 minutes. Vinyl DJ sets on Thursday and Saturday from 20:00. Street parking
            only, so most guests come by scooter or ride-hailing. Visa, Mastercard and QRIS; no Amex and
            no cash. No wifi by design. Closed on Tuesdays."""
        ),
        "tags": ["natural-wine", "date-night", "small-plates", "vinyl", "adults-only"],
        "cuisines": ["small-plates", "european"],
        "price_level": 3,
        "average_spend": "400000.00",
        "capacity": 50,
        "opening_hours": _hours("17:00-00:00", closed="tue", fri="17:00-01:00", sat="17:00-01:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 66,
        "rating_average": "4.74",
        "rating_count": 588,
        "phone": "+62 812 3901 6654",
        "whatsapp": "+62 812 3901 6654",
        "email": "cellar@nocturne.example",
        "website": "https://nocturne-wine-bar-canggu.example",
        "instagram": "nocturne.wine",
    },
    {
        "name": "Gudang Sound Club",
        "slug": "gudang-sound-club-canggu",
        "city": "canggu",
        "category": "nightclub",
        "area": "Babakan",
        "address": "Jl. Raya Babakan Canggu No. 77X, Babakan, Canggu",
        "latitude": "-8.640910",
        "longitude": "115.140280",
        "description": _t(
            """A converted warehouse club with a custom sound system and a techno and house programme.
            Doors open late and the party runs until 4am on weekends."""
        ),
        "knowledge_text": _t(
            """Open Thursday to Sunday. Entry is IDR 200k before midnight and IDR 300k after (one drink
            included); guest-list bookings through the concierge get free entry before 23:30. VIP tables
            beside the booth hold up to 10 people with a minimum spend of IDR 5 million and a IDR 750k
            deposit. Headliners play Friday and Saturday from 01:00. Strictly 21+ with a passport or
            KITAS copy. Dress code: no flip-flops, singlets or football jerseys. There is no kitchen,
            only bar snacks; cocktails from IDR 140k, beer from IDR 65k. Attended scooter parking costs
            IDR 5k; cars should use ride-hailing. Cards and cash accepted."""
        ),
        "tags": ["techno", "late-night", "dj", "dance", "guest-list"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "500000.00",
        "capacity": 600,
        "opening_hours": _hours("22:00-03:00", closed="mon tue wed", fri="22:00-04:00", sat="22:00-04:00"),
        "slot_minutes": 60,
        "covers_per_slot": 60,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": True,
        "deposit_amount": "750000.00",
        "cancellation_window_hours": 24,
        "minimum_spend": "5000000.00",
        "kids_allowed": False,
        "dress_code": "No flip-flops, singlets or football jerseys",
        "referral_fee_pct": "15.00",
        "priority_rank": 60,
        "rating_average": "4.12",
        "rating_count": 2214,
        "phone": "+62 819 3611 0077",
        "whatsapp": "+62 819 3611 0077",
        "email": "tables@gudangsound.example",
        "website": "https://gudang-sound-club-canggu.example",
        "instagram": "gudangsound",
    },
    {
        "name": "Lotus Tide Spa",
        "slug": "lotus-tide-spa-canggu",
        "city": "canggu",
        "category": "spa",
        "area": "Berawa",
        "address": "Jl. Tegal Sari No. 24, Berawa, Canggu",
        "latitude": "-8.660330",
        "longitude": "115.143900",
        "description": _t(
            """A calm day spa with eight treatment rooms, a herbal steam room and a cold plunge. Uses
            Balinese boreh spices and cold-pressed coconut oil."""
        ),
        "knowledge_text": _t(
            """Signature treatments: the 90-minute Lotus Tide Balinese massage with warm coconut oil
            (IDR 450k), a boreh herbal scrub and flower bath (IDR 520k, 2 hours) and the couples' suite
            ritual (IDR 1.2 million for two, 2 hours). The steam room and cold plunge are free before or
            after any treatment of 90 minutes or more. Children aged 6 to 12 can book a 30-minute gentle
            massage (IDR 180k) with a parent in the room. Free parking for 6 cars. Late-afternoon slots
            fill first, so book at least 2 hours ahead. Cash, QRIS and cards; 10% off before 12:00 on
            weekdays. Please arrive 10 minutes early."""
        ),
        "tags": ["massage", "couples", "steam-room", "cold-plunge", "balinese-massage"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "450000.00",
        "capacity": 16,
        "opening_hours": _hours("09:00-21:00"),
        "slot_minutes": 60,
        "covers_per_slot": 6,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 120,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "15.00",
        "priority_rank": 64,
        "rating_average": "4.79",
        "rating_count": 1398,
        "phone": "+62 361 849 3310",
        "whatsapp": "+62 812 3700 8815",
        "email": "relax@lotustide.example",
        "website": "https://lotus-tide-spa-canggu.example",
        "instagram": "lotustidespa",
    },
    {
        "name": "Bambu Breath Yoga",
        "slug": "bambu-breath-yoga-canggu",
        "city": "canggu",
        "category": "wellness",
        "area": "Pererenan",
        "address": "Jl. Pantai Mengening No. 33, Pererenan, Canggu",
        "latitude": "-8.644850",
        "longitude": "115.118420",
        "description": _t(
            """An open-air bamboo shala hosting yoga, breathwork and sound healing between the rice fields
            and the beach. Drop-ins welcome at every level."""
        ),
        "knowledge_text": _t(
            """Drop-in classes cost IDR 150k, a 5-class pass IDR 650k and an unlimited week IDR 950k.
            Daily schedule: sunrise vinyasa 07:00, slow flow 09:30, yin 17:00 and a breathwork or
            sound-healing session at 18:30 (IDR 220k). Family yoga for ages 5 and up runs on Sundays at
            10:00 (IDR 200k per adult-child pair). Mats, blocks and towels are free. Changing rooms and
            showers on site, and a small juice bar serves vegan smoothies and coconut water. Parking for
            15 scooters and 4 cars. Pay by card, QRIS or cash; passes are non-refundable. Bookings close
            30 minutes before class; cancel 6 hours ahead to keep your credit."""
        ),
        "tags": ["yoga", "breathwork", "sound-healing", "rice-field-view", "beginner-friendly"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "180000.00",
        "capacity": 40,
        "opening_hours": _hours("06:30-20:00", sun="07:00-12:00"),
        "slot_minutes": 90,
        "covers_per_slot": 35,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 57,
        "rating_average": "4.83",
        "rating_count": 764,
        "phone": "+62 821 4550 2918",
        "whatsapp": "+62 821 4550 2918",
        "email": "namaste@bambubreath.example",
        "website": "https://bambu-breath-yoga-canggu.example",
        "instagram": "bambubreath",
    },
    {
        "name": "Iron Coconut Gym",
        "slug": "iron-coconut-gym-canggu",
        "city": "canggu",
        "category": "fitness",
        "area": "Berawa",
        "address": "Jl. Pantai Berawa No. 31A, Berawa, Canggu",
        "latitude": "-8.663210",
        "longitude": "115.140940",
        "description": _t(
            """A strength-focused gym with open-air lifting platforms, a conditioning zone, ice baths and a
            sauna. Day, week and month passes for travellers."""
        ),
        "knowledge_text": _t(
            """Day pass IDR 150k, week pass IDR 650k and month membership IDR 1.8 million. Group classes
            (strength, conditioning, mobility) run hourly from 07:00 and are included in all passes. The
            recovery area has two ice baths and a cedar sauna; a 45-minute recovery session costs IDR
            120k for non-members. Personal training from IDR 450k per hour. Members must be 16 or older.
            Closed-toe shoes are required and towels cost IDR 10k to rent. Parking for 40 scooters and 12
            cars. The protein bar serves shakes from IDR 55k, with vegan protein available. Busiest 07:00
            to 09:00 and 17:00 to 19:00. Cards and QRIS accepted."""
        ),
        "tags": ["gym", "strength", "ice-bath", "sauna", "day-pass"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "150000.00",
        "capacity": 120,
        "opening_hours": _hours("06:00-22:00", sun="07:00-20:00"),
        "slot_minutes": 60,
        "covers_per_slot": 40,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "Closed-toe training shoes required on the gym floor",
        "referral_fee_pct": "5.00",
        "priority_rank": 50,
        "rating_average": "4.60",
        "rating_count": 2045,
        "phone": "+62 813 3866 4021",
        "whatsapp": "+62 813 3866 4021",
        "email": "lift@ironcoconut.example",
        "website": "https://iron-coconut-gym-canggu.example",
        "instagram": "ironcoconutgym",
    },
    {
        "name": "Swellhouse Surf School",
        "slug": "swellhouse-surf-school-canggu",
        "city": "canggu",
        "category": "activity",
        "area": "Batu Bolong",
        "address": "Jl. Pantai Batu Bolong No. 88, Batu Bolong, Canggu",
        "latitude": "-8.659620",
        "longitude": "115.129730",
        "description": _t(
            """Certified surf coaches running beginner lessons on the gentle Batu Bolong break. Boards,
            rash vests and reef boots are included."""
        ),
        "knowledge_text": _t(
            """A 2-hour group lesson (maximum 4 students per coach) costs IDR 450k; private lessons are
            IDR 750k and a 5-lesson package is IDR 2 million. Lessons start at 07:00, 09:00 and 15:00,
            timed to the tide, and are rescheduled free if the swell is too big. Children from 8 can join
            group lessons, and younger kids can take a private lesson with a parent. Soft-top boards,
            rash vests and reef boots are included; board rental alone is IDR 100k per day. Lockers and
            fresh-water showers on site. Book at least 12 hours ahead. Cash, QRIS and cards. Free photos
            are sent by WhatsApp after every lesson."""
        ),
        "tags": ["surf", "lessons", "beginner-friendly", "kids-friendly", "morning"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "450000.00",
        "capacity": 30,
        "opening_hours": _hours("06:00-17:00"),
        "slot_minutes": 90,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 720,
        "booking_window_days": 45,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 61,
        "rating_average": "4.85",
        "rating_count": 1733,
        "phone": "+62 812 3620 7748",
        "whatsapp": "+62 812 3620 7748",
        "email": "surf@swellhouse.example",
        "website": "https://swellhouse-surf-school-canggu.example",
        "instagram": "swellhouse.surf",
    },
]


# --------------------------------------------------------------------------------------
# Venues: Seminyak
# --------------------------------------------------------------------------------------

_SEMINYAK = [
    {
        "name": "Arang Grill House",
        "slug": "arang-grill-house-seminyak",
        "city": "seminyak",
        "category": "restaurant",
        "area": "Petitenget",
        "address": "Jl. Petitenget No. 57, Petitenget, Seminyak",
        "latitude": "-8.678940",
        "longitude": "115.157230",
        "description": _t(
            """A moody charcoal steakhouse dry-ageing Australian and Indonesian beef in a glass cabinet by
            the door. Open kitchen, leather banquettes and a serious whisky list."""
        ),
        "knowledge_text": _t(
            """Signature cuts: 45-day dry-aged ribeye (IDR 1.15 million for 400 g), wagyu MB7 striploin
            (IDR 1.45 million) and a grass-fed Sumbawa tenderloin (IDR 620k). Sides from IDR 65k; the
            bone-marrow mash is the favourite. There is a short vegetarian menu (the charred cauliflower
            steak is vegan, IDR 185k) and most grills are naturally gluten-free. Children are welcome
            until 21:00 and a kids' steak and fries costs IDR 195k. Every booking holds a IDR 300k
            deposit, deducted from the bill and refunded if cancelled 24 hours ahead. Valet parking is
            free. Smart casual: no singlets, beachwear or flip-flops. All major cards including Amex,
            plus QRIS."""
        ),
        "tags": ["steak", "date-night", "whisky", "fine-dining", "business-dinner"],
        "cuisines": ["steakhouse", "grill", "australian"],
        "price_level": 4,
        "average_spend": "950000.00",
        "capacity": 120,
        "opening_hours": _hours("17:30-23:30"),
        "slot_minutes": 30,
        "covers_per_slot": 20,
        "min_party_size": 1,
        "max_party_size": 14,
        "booking_lead_minutes": 120,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "300000.00",
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Smart casual; no singlets, beachwear or flip-flops",
        "referral_fee_pct": "10.00",
        "priority_rank": 84,
        "rating_average": "4.68",
        "rating_count": 1960,
        "phone": "+62 361 473 0562",
        "whatsapp": "+62 811 3988 0562",
        "email": "book@aranggrill.example",
        "website": "https://arang-grill-house-seminyak.example",
        "instagram": "aranggrillhouse",
    },
    {
        "name": "Maison Frangipani",
        "slug": "maison-frangipani-seminyak",
        "city": "seminyak",
        "category": "restaurant",
        "area": "Oberoi",
        "address": "Jl. Kayu Aya No. 21, Oberoi, Seminyak",
        "latitude": "-8.686710",
        "longitude": "115.161920",
        "description": _t(
            """A white-washed French bistro with a courtyard garden and frangipani trees strung with
            lights. Classic bistro cooking with Balinese produce."""
        ),
        "knowledge_text": _t(
            """Classic dishes: steak frites with béarnaise (IDR 385k), duck confit with lentils
            (IDR 325k), bouillabaisse for two (IDR 790k) and a tarte tatin flambéed at the table
            (IDR 125k). The lunch formule is two courses for IDR 245k. Vegetarian options are limited (a
            mushroom vol-au-vent and salads); ask for the vegan ratatouille, which is off-menu. Request a
            candle-lit courtyard table for two for proposals and anniversaries; the team will arrange
            flowers or a cake with 48 hours' notice. Children welcome at lunch; high chairs available.
            Street parking only, with drop-off at the gate. Cards, QRIS and cash. No lunch on Mondays."""
        ),
        "tags": ["french", "date-night", "courtyard", "wine", "anniversary"],
        "cuisines": ["french", "european"],
        "price_level": 3,
        "average_spend": "600000.00",
        "capacity": 90,
        "opening_hours": _hours("12:00-15:00 18:00-23:00", mon="18:00-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 90,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Smart casual",
        "referral_fee_pct": "11.00",
        "priority_rank": 78,
        "rating_average": "4.58",
        "rating_count": 1204,
        "phone": "+62 361 736 2140",
        "whatsapp": "+62 812 3602 1140",
        "email": "bonjour@maisonfrangipani.example",
        "website": "https://maison-frangipani-seminyak.example",
        "instagram": "maisonfrangipani",
    },
    {
        "name": "Dapur Rempah",
        "slug": "dapur-rempah-seminyak",
        "city": "seminyak",
        "category": "restaurant",
        "area": "Drupadi",
        "address": "Jl. Drupadi No. 40, Drupadi, Seminyak",
        "latitude": "-8.695270",
        "longitude": "115.170840",
        "description": _t(
            """A spice-route Indonesian restaurant cooking regional dishes from Aceh to Papua in a restored
            joglo house. Its rijsttafel feasts are made for sharing."""
        ),
        "knowledge_text": _t(
            """The house rijsttafel (12 dishes, minimum two people) costs IDR 295k per person, with a
            vegetarian version at IDR 255k. Stand-outs are beef rendang from West Sumatra (IDR 145k),
            Balinese bebek goreng (IDR 165k) and gado-gado (IDR 85k, vegan with peanut sauce). Chilli
            levels are marked and the kitchen can cook without MSG. Gluten-free is possible for most
            curries but not for dishes with kecap manis. Children are welcome, with a kids' nasi goreng
            for IDR 55k. Groups of up to 20 can book the joglo pavilion. Cooking classes run Tuesday and
            Saturday at 09:00 (IDR 550k including lunch). Parking for 10 cars. Cards, QRIS and cash."""
        ),
        "tags": ["indonesian", "rijsttafel", "sharing", "groups", "cooking-class"],
        "cuisines": ["indonesian", "balinese"],
        "price_level": 2,
        "average_spend": "280000.00",
        "capacity": 150,
        "opening_hours": _hours("11:00-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 28,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 60,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "9.00",
        "priority_rank": 72,
        "rating_average": "4.53",
        "rating_count": 2872,
        "phone": "+62 361 847 5593",
        "whatsapp": "+62 813 3840 5593",
        "email": "makan@dapurrempah.example",
        "website": "https://dapur-rempah-seminyak.example",
        "instagram": "dapurrempah.bali",
    },
    {
        "name": "Kaito Omakase",
        "slug": "kaito-omakase-seminyak",
        "city": "seminyak",
        "category": "restaurant",
        "area": "Batu Belig",
        "address": "Jl. Batu Belig No. 15, Batu Belig, Seminyak",
        "latitude": "-8.674930",
        "longitude": "115.154470",
        "description": _t(
            """A hinoki-wood omakase counter and a small sushi dining room serving Edomae-style courses with
            fish from Japan and Bali's own waters. Two seatings a night."""
        ),
        "knowledge_text": _t(
            """Two counter seatings a night, at 18:00 and 20:45. The 18-course omakase is IDR 2.2 million
            per person and the shorter 12-course menu in the dining room is IDR 1.45 million; sake pairing
            adds IDR 950k. A IDR 1 million deposit per guest is taken when booking, refundable up to 48
            hours before. Dietary needs must be shared 24 hours ahead: the chef can do pescatarian and
            gluten-free (tamari) but not vegan or shellfish-free at the counter. Guests must be 15 or
            older. Please avoid strong perfume. Valet parking. Visa, Mastercard, Amex and JCB; no cash.
            Bookings open 30 days ahead at 10:00 and fill quickly. Closed Mondays."""
        ),
        "tags": ["omakase", "sushi", "fine-dining", "adults-only", "date-night"],
        "cuisines": ["japanese", "sushi"],
        "price_level": 4,
        "average_spend": "1800000.00",
        "capacity": 48,
        "opening_hours": _hours("18:00-23:00", closed="mon"),
        "slot_minutes": 90,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 1440,
        "booking_window_days": 30,
        "deposit_required": True,
        "deposit_amount": "1000000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "Smart casual; please avoid strong perfume",
        "referral_fee_pct": "12.00",
        "priority_rank": 80,
        "rating_average": "4.86",
        "rating_count": 412,
        "phone": "+62 361 907 1188",
        "whatsapp": "+62 811 3810 1188",
        "email": "counter@kaito.example",
        "website": "https://kaito-omakase-seminyak.example",
        "instagram": "kaito.omakase",
    },
    {
        "name": "Morning Tide Coffee",
        "slug": "morning-tide-coffee-seminyak",
        "city": "seminyak",
        "category": "cafe",
        "area": "Oberoi",
        "address": "Jl. Kayu Cendana No. 6, Oberoi, Seminyak",
        "latitude": "-8.688460",
        "longitude": "115.162770",
        "description": _t(
            """A bright corner café known for flat whites, bircher and all-day eggs. The shaded terrace is
            a people-watching spot just off the Oberoi strip."""
        ),
        "knowledge_text": _t(
            """Aussie-style brunch café. Favourites: the big breakfast (IDR 145k), corn fritters with
            halloumi (IDR 115k), coconut bircher (IDR 75k, vegan) and the Morning Tide flat white
            (IDR 42k). Oat milk is free; almond costs IDR 8k. Gluten-free bread and a gluten-free banana
            bread are always available. Dogs are welcome on the terrace, and there are high chairs and a
            small kids' menu (eggs on toast IDR 55k). Wifi is free but laptops are discouraged at weekends
            08:00 to 12:00. Parking is for scooters only; cars drop off on Jl. Kayu Aya. Busiest 09:00 to
            11:00 at weekends. Cards, QRIS and cash."""
        ),
        "tags": ["brunch", "coffee", "breakfast", "dog-friendly", "terrace"],
        "cuisines": ["cafe", "brunch", "australian"],
        "price_level": 2,
        "average_spend": "150000.00",
        "capacity": 70,
        "opening_hours": _hours("07:00-18:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.50",
        "priority_rank": 60,
        "rating_average": "4.49",
        "rating_count": 2440,
        "phone": "+62 812 3755 6092",
        "whatsapp": "+62 812 3755 6092",
        "email": "gday@morningtide.example",
        "website": "https://morning-tide-coffee-seminyak.example",
        "instagram": "morningtide.coffee",
    },
    {
        "name": "Bunga Bowl Bar",
        "slug": "bunga-bowl-bar-seminyak",
        "city": "seminyak",
        "category": "cafe",
        "area": "Drupadi",
        "address": "Jl. Drupadi No. 8B, Drupadi, Seminyak",
        "latitude": "-8.693480",
        "longitude": "115.169610",
        "description": _t(
            """A tiny, pink-tiled smoothie-bowl bar with a colourful garden out back. Everything on the
            menu is vegan and most of it is raw."""
        ),
        "knowledge_text": _t(
            """Signature bowls: the Bunga pink pitaya bowl (IDR 72k), the blue spirulina bowl (IDR 78k)
            and a cacao-peanut bowl (IDR 70k). Everything is vegan and refined-sugar-free; all bowls are
            gluten-free except the granola topping, which can be swapped for buckwheat. Cold-pressed
            juices cost IDR 45k. Kids love the half-size bowls (IDR 45k). The garden's painted mural wall
            draws a photo queue from 09:00. There is no wifi and only 32 seats, so takeaway is fast.
            Scooter parking in front only. Cash and QRIS; cards for bills over IDR 100k. Reservations are
            only for groups of four or more."""
        ),
        "tags": ["vegan", "smoothie-bowls", "instagrammable", "healthy", "takeaway"],
        "cuisines": ["vegan", "healthy", "raw"],
        "price_level": 1,
        "average_spend": "90000.00",
        "capacity": 32,
        "opening_hours": _hours("07:30-17:00"),
        "slot_minutes": 30,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 45,
        "rating_average": "4.62",
        "rating_count": 987,
        "phone": "+62 878 6240 1157",
        "whatsapp": "+62 878 6240 1157",
        "email": "bowls@bungabowl.example",
        "website": "",
        "instagram": "bungabowlbar",
    },
    {
        "name": "Coralina Beach Club",
        "slug": "coralina-beach-club-seminyak",
        "city": "seminyak",
        "category": "beach_club",
        "area": "Petitenget",
        "address": "Jl. Petitenget No. 100X, Petitenget, Seminyak",
        "latitude": "-8.680650",
        "longitude": "115.153870",
        "description": _t(
            """A sprawling beachfront club with three pools, a sunset amphitheatre and a seafood grill. The
            flagship party spot on the Petitenget sand."""
        ),
        "knowledge_text": _t(
            """Sunbeds by the main pool carry a minimum spend of IDR 2.5 million for two, sunset daybeds
            IDR 5 million for four and the VIP cabanas IDR 15 million for ten. A IDR 1 million deposit
            is required for every bed and is forfeited within 72 hours. Children are allowed until 18:00
            in the family pool zone only; after that the club is 18+. Seafood platter for two IDR 1.2
            million, lobster roll IDR 295k, vegan poke bowl IDR 165k; gluten-free options are marked. DJs
            from 14:00, with bigger names on Friday and Saturday. Walk-in entry to the lawn is free but
            capped at busy times. Valet parking IDR 50k. Cards and QRIS only."""
        ),
        "tags": ["sunset", "pool", "daybeds", "dj", "party", "seafood"],
        "cuisines": ["seafood", "mediterranean", "asian-fusion"],
        "price_level": 4,
        "average_spend": "700000.00",
        "capacity": 900,
        "opening_hours": _hours("10:00-00:00", fri="10:00-01:00", sat="10:00-01:00"),
        "slot_minutes": 60,
        "covers_per_slot": 120,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 120,
        "booking_window_days": 90,
        "deposit_required": True,
        "deposit_amount": "1000000.00",
        "cancellation_window_hours": 72,
        "minimum_spend": "2500000.00",
        "kids_allowed": True,
        "dress_code": "Beachwear by day; cover up after sunset",
        "referral_fee_pct": "14.00",
        "priority_rank": 92,
        "rating_average": "4.38",
        "rating_count": 9612,
        "phone": "+62 361 300 4400",
        "whatsapp": "+62 811 3900 4400",
        "email": "reservations@coralina.example",
        "website": "https://coralina-beach-club-seminyak.example",
        "instagram": "coralinabali",
    },
    {
        "name": "Driftwood Social",
        "slug": "driftwood-social-seminyak",
        "city": "seminyak",
        "category": "beach_club",
        "area": "Batu Belig",
        "address": "Jl. Pantai Batu Belig No. 3, Batu Belig, Seminyak",
        "latitude": "-8.673680",
        "longitude": "115.152020",
        "description": _t(
            """A smaller, laid-back beach club built from reclaimed timber, with one long pool and bean
            bags on the sand. Pool loungers are free, first come, first served."""
        ),
        "knowledge_text": _t(
            """Unlike the bigger clubs, Driftwood has no minimum spend on pool loungers: they are first
            come, first served, and only the six shaded cabanas can be booked (IDR 750k minimum spend, up
            to 6 people, no deposit). Kids are welcome all day, with a shallow wading section in the pool
            and a kids' menu from IDR 60k. Fish tacos (IDR 125k), jackfruit tacos (IDR 110k, vegan) and
            frozen margaritas (IDR 115k) are the favourites; corn tortillas are gluten-free as standard.
            Acoustic live music on Thursday and Sunday from 17:00. Free parking for 20 cars via Jl. Batu
            Belig. Cards, QRIS and cash. Best for a relaxed weekday sunset."""
        ),
        "tags": ["laid-back", "pool", "walk-in-friendly", "sunset", "kids-friendly", "live-music"],
        "cuisines": ["mexican", "international"],
        "price_level": 2,
        "average_spend": "300000.00",
        "capacity": 260,
        "opening_hours": _hours("09:00-22:00"),
        "slot_minutes": 60,
        "covers_per_slot": 40,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": "750000.00",
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "9.00",
        "priority_rank": 69,
        "rating_average": "4.41",
        "rating_count": 3280,
        "phone": "+62 361 934 2207",
        "whatsapp": "+62 812 3881 2207",
        "email": "hello@driftwoodsocial.example",
        "website": "https://driftwood-social-seminyak.example",
        "instagram": "driftwood.social",
    },
    {
        "name": "The Velvet Ledger",
        "slug": "velvet-ledger-seminyak",
        "city": "seminyak",
        "category": "bar",
        "area": "Oberoi",
        "address": "Jl. Kayu Aya No. 33 (behind the bookshop), Oberoi, Seminyak",
        "latitude": "-8.687920",
        "longitude": "115.163480",
        "description": _t(
            """A speakeasy cocktail bar hidden behind a bookshelf in a colonial-style bookshop. Twenty seats
            at the bar, velvet booths and live jazz on Thursdays."""
        ),
        "knowledge_text": _t(
            """Enter through the bookshop and pull the red ledger on the third shelf. Signature cocktails
            (IDR 185k to 220k) change each season; the permanent favourite is the Ledger Old Fashioned
            with Balinese coffee-infused bourbon (IDR 210k). Zero-proof cocktails cost IDR 120k. Small
            plates include truffle croquettes (IDR 95k) and a vegan satay (IDR 85k). Live jazz trio on
            Thursdays from 21:00. Over-21s only; ID may be checked. Smart casual: no beachwear, singlets
            or flip-flops. Bar seats are walk-in; booths for up to 6 can be reserved and are held for 15
            minutes. Street parking is scarce, so take a ride-hailing car. Cards and QRIS, no cash."""
        ),
        "tags": ["speakeasy", "cocktails", "date-night", "jazz", "hidden-bar"],
        "cuisines": ["small-plates"],
        "price_level": 3,
        "average_spend": "450000.00",
        "capacity": 60,
        "opening_hours": _hours("18:00-02:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 60,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "Smart casual; no beachwear, singlets or flip-flops",
        "referral_fee_pct": "10.00",
        "priority_rank": 74,
        "rating_average": "4.77",
        "rating_count": 1156,
        "phone": "+62 813 3961 0214",
        "whatsapp": "+62 813 3961 0214",
        "email": "ledger@velvetledger.example",
        "website": "https://velvet-ledger-seminyak.example",
        "instagram": "thevelvetledger",
    },
    {
        "name": "Tiki Matahari",
        "slug": "tiki-matahari-seminyak",
        "city": "seminyak",
        "category": "bar",
        "area": "Oberoi",
        "address": "Jl. Pantai Kayu Aya (beach end), Oberoi, Seminyak",
        "latitude": "-8.689920",
        "longitude": "115.158640",
        "description": _t(
            """A barefoot tiki bar on the sand with colourful bean bags and umbrellas facing the sunset.
            Cheap Bintang, rum punch and fire dancers at dusk."""
        ),
        "knowledge_text": _t(
            """Bean bags on the sand are free to use with any order; the front row can be reserved from
            16:00 for groups of up to 15. Happy hour 16:00 to 18:00: large Bintang IDR 45k and rum punch
            jugs IDR 180k. Food is simple: nasi goreng (IDR 55k), fish and chips (IDR 95k) and vegetable
            spring rolls (IDR 45k, vegan). Kids are welcome and the fire dancers at 18:30 are
            family-friendly. No wifi. Parking is at the Kayu Aya beach lot (IDR 5k scooter, IDR 10k
            car). Cash and QRIS preferred; cards are accepted with a 3% fee. Sunset, around 18:20, is the
            peak, so arrive by 17:00."""
        ),
        "tags": ["sunset", "beach-bar", "bean-bags", "budget", "fire-show"],
        "cuisines": ["international", "indonesian"],
        "price_level": 1,
        "average_spend": "150000.00",
        "capacity": 200,
        "opening_hours": _hours("12:00-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 15,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.00",
        "priority_rank": 52,
        "rating_average": "4.35",
        "rating_count": 4012,
        "phone": "+62 819 1645 3380",
        "whatsapp": "+62 819 1645 3380",
        "email": "aloha@tikimatahari.example",
        "website": "",
        "instagram": "tikimatahari",
    },
    {
        "name": "Neon Komodo",
        "slug": "neon-komodo-seminyak",
        "city": "seminyak",
        "category": "nightclub",
        "area": "Drupadi",
        "address": "Jl. Camplung Tanduran No. 21, Drupadi, Seminyak",
        "latitude": "-8.693910",
        "longitude": "115.167490",
        "description": _t(
            """A neon-drenched hip-hop and R&B club with a rooftop terrace bar. Themed nights every day
            except Monday."""
        ),
        "knowledge_text": _t(
            """Tuesday is R&B, Wednesday is ladies' night (free cocktails for women until 00:30), Thursday
            Afrobeats, Friday and Saturday hip-hop headliners and Sunday throwbacks. Entry is IDR 150k on
            weekdays and IDR 250k at weekends, including one drink; concierge guest-list names enter free
            before midnight. Booths for up to 12 guests have a IDR 4 million minimum spend with a IDR 1
            million deposit; bottle packages start at IDR 3.5 million. 21+ only with original ID. Smart
            casual, with closed shoes for men. The rooftop bar opens at 21:00 and is quieter. Ride-hailing
            pick-up point on Jl. Camplung Tanduran. Cards and cash."""
        ),
        "tags": ["hip-hop", "late-night", "rooftop", "dj", "bottle-service"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "400000.00",
        "capacity": 700,
        "opening_hours": _hours("21:00-04:00", closed="mon"),
        "slot_minutes": 60,
        "covers_per_slot": 80,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": True,
        "deposit_amount": "1000000.00",
        "cancellation_window_hours": 24,
        "minimum_spend": "4000000.00",
        "kids_allowed": False,
        "dress_code": "Smart casual; closed shoes for men, no singlets",
        "referral_fee_pct": "15.00",
        "priority_rank": 63,
        "rating_average": "4.05",
        "rating_count": 3571,
        "phone": "+62 361 475 9921",
        "whatsapp": "+62 811 3860 9921",
        "email": "booths@neonkomodo.example",
        "website": "https://neon-komodo-seminyak.example",
        "instagram": "neonkomodo",
    },
    {
        "name": "Rumah Jepun Spa",
        "slug": "rumah-jepun-spa-seminyak",
        "city": "seminyak",
        "category": "spa",
        "area": "Petitenget",
        "address": "Jl. Petitenget No. 12, Petitenget, Seminyak",
        "latitude": "-8.681740",
        "longitude": "115.159990",
        "description": _t(
            """A frangipani-shaded spa in a traditional Balinese compound with twelve treatment villas, each
            with a private garden bath. Known for long rituals and couples' packages."""
        ),
        "knowledge_text": _t(
            """Signature rituals: the 3-hour Jepun Royal Ritual with Balinese massage, frangipani scrub,
            facial and flower bath (IDR 1.65 million), the 2-hour honeymoon package for couples (IDR 2.4
            million for two, including sparkling wine) and a 60-minute hot-stone massage (IDR 550k).
            Products are organic and vegan, and unscented oil is available for sensitive skin. Guests
            must be 16 or older. A IDR 250k deposit per booking is required. Free return transfers
            within Seminyak for bookings over IDR 1.5 million, plus valet parking. Evening slots from
            19:00 are the quietest. Cards, QRIS and cash accepted."""
        ),
        "tags": ["luxury", "couples", "flower-bath", "balinese-massage", "honeymoon"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "900000.00",
        "capacity": 24,
        "opening_hours": _hours("10:00-22:00"),
        "slot_minutes": 60,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 240,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "250000.00",
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "15.00",
        "priority_rank": 76,
        "rating_average": "4.81",
        "rating_count": 2114,
        "phone": "+62 361 473 5512",
        "whatsapp": "+62 812 3999 5512",
        "email": "rituals@rumahjepun.example",
        "website": "https://rumah-jepun-spa-seminyak.example",
        "instagram": "rumahjepunspa",
    },
    {
        "name": "Suling Studio",
        "slug": "suling-studio-seminyak",
        "city": "seminyak",
        "category": "wellness",
        "area": "Drupadi",
        "address": "Jl. Drupadi No. 77, Drupadi, Seminyak",
        "latitude": "-8.696850",
        "longitude": "115.172410",
        "description": _t(
            """A light-filled studio for reformer Pilates, mat classes and restorative yoga. Classes are
            capped at ten people."""
        ),
        "knowledge_text": _t(
            """Reformer Pilates classes (55 minutes, maximum 10 people) cost IDR 280k drop-in or IDR 1.25
            million for five; mat Pilates and restorative yoga are IDR 170k. First-timers should book
            the Reformer Intro on Monday or Thursday at 08:00. Grip socks are required on the reformers
            and sell for IDR 90k. The studio is air-conditioned, with showers, organic toiletries and
            filtered water. Minimum age 16; pregnant guests should book the prenatal class on Saturdays
            at 10:00. Late cancellations within 12 hours lose the credit. Parking for 8 scooters; cars use
            the Drupadi side street. Cards and QRIS only. Class packs are valid for 60 days."""
        ),
        "tags": ["pilates", "reformer", "yoga", "air-conditioned", "prenatal"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "280000.00",
        "capacity": 30,
        "opening_hours": _hours("06:30-20:30", sun="07:30-13:00"),
        "slot_minutes": 60,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 120,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "Grip socks required on reformers",
        "referral_fee_pct": "10.00",
        "priority_rank": 59,
        "rating_average": "4.76",
        "rating_count": 689,
        "phone": "+62 821 4400 7781",
        "whatsapp": "+62 821 4400 7781",
        "email": "move@sulingstudio.example",
        "website": "https://suling-studio-seminyak.example",
        "instagram": "suling.studio",
    },
    {
        "name": "Pulse Cycle & Strength",
        "slug": "pulse-cycle-strength-seminyak",
        "city": "seminyak",
        "category": "fitness",
        "area": "Petitenget",
        "address": "Jl. Petitenget No. 8X, Petitenget, Seminyak",
        "latitude": "-8.677910",
        "longitude": "115.156280",
        "description": _t(
            """A boutique indoor cycling and HIIT studio with a club sound system and a recovery lounge.
            Classes run from dawn to late evening."""
        ),
        "knowledge_text": _t(
            """Rhythm cycling classes (45 minutes, 28 bikes) cost IDR 220k, HIIT classes IDR 200k and a
            10-class pack IDR 1.8 million. Clip-in cycling shoes, towels and water are included. The
            recovery lounge has compression boots and an infrared sauna (IDR 150k for 30 minutes). Sunday
            09:00 is a themed club ride with a live DJ. Riders must be 14 or older, and under-16s need a
            parent in the same class. The studio is fully air-conditioned, with showers and hair dryers.
            Scooter parking in front; cars use the Petitenget public lot 150 m away. Cards and QRIS.
            Cancel 12 hours ahead to keep the credit."""
        ),
        "tags": ["spin", "hiit", "air-conditioned", "classes", "recovery"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "220000.00",
        "capacity": 40,
        "opening_hours": _hours("06:00-21:00", sun="07:00-12:00"),
        "slot_minutes": 60,
        "covers_per_slot": 28,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 60,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 48,
        "rating_average": "4.64",
        "rating_count": 530,
        "phone": "+62 813 3700 2290",
        "whatsapp": "+62 813 3700 2290",
        "email": "ride@pulsecycle.example",
        "website": "https://pulse-cycle-strength-seminyak.example",
        "instagram": "pulsecycle.bali",
    },
    {
        "name": "Tanah Liat Ceramics Studio",
        "slug": "tanah-liat-ceramics-seminyak",
        "city": "seminyak",
        "category": "activity",
        "area": "Batu Belig",
        "address": "Jl. Batu Belig No. 58, Batu Belig, Seminyak",
        "latitude": "-8.673210",
        "longitude": "115.156610",
        "description": _t(
            """A working pottery studio offering wheel-throwing and hand-building classes for beginners.
            Finished pieces are glazed, fired and shipped or held for collection."""
        ),
        "knowledge_text": _t(
            """The 2-hour wheel-throwing class is IDR 450k per person and includes clay, glazing and firing
            of two pieces; hand-building is IDR 380k and a couples' class IDR 850k for two. Kids aged 6
            to 12 have their own hand-building session on Saturday at 10:00 (IDR 300k, a parent stays).
            Pieces are ready for collection after 10 to 14 days, or shipped anywhere in Bali for IDR 50k
            and abroad at cost. Wear clothes that can get muddy; aprons are provided. A good rainy-day
            option. Classes start at 09:30, 12:30 and 15:30; book at least 24 hours ahead. Parking for 5
            cars. Cards, QRIS and cash. Closed Sundays."""
        ),
        "tags": ["pottery", "workshop", "rainy-day", "date-idea", "kids-friendly"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "450000.00",
        "capacity": 20,
        "opening_hours": _hours("09:00-18:00", closed="sun"),
        "slot_minutes": 60,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 1440,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 55,
        "rating_average": "4.90",
        "rating_count": 871,
        "phone": "+62 812 4610 3375",
        "whatsapp": "+62 812 4610 3375",
        "email": "clay@tanahliat.example",
        "website": "https://tanah-liat-ceramics-seminyak.example",
        "instagram": "tanahliat.studio",
    },
]


# --------------------------------------------------------------------------------------
# Venues: Ubud
# --------------------------------------------------------------------------------------

_UBUD = [
    {
        "name": "Sayan Ridge Dining",
        "slug": "sayan-ridge-dining-ubud",
        "city": "ubud",
        "category": "restaurant",
        "area": "Sayan",
        "address": "Jl. Raya Sayan No. 70, Sayan, Ubud",
        "latitude": "-8.502870",
        "longitude": "115.241660",
        "description": _t(
            """A fine-dining restaurant perched over the Ayung River valley, serving a seasonal tasting menu
            built on Balinese heirloom ingredients. Each course comes with the story of its farmer."""
        ),
        "knowledge_text": _t(
            """The 9-course dinner tasting menu costs IDR 1.65 million (wine pairing IDR 1.1 million,
            non-alcoholic jamu pairing IDR 550k); a 5-course lunch is IDR 850k. A full vegetarian tasting
            is always available and a vegan version with 48 hours' notice; the kitchen handles
            gluten-free and nut allergies. Children aged 8 and over are welcome, with a 4-course kids'
            menu for IDR 450k. Book the 17:45 table on the cliff deck for sunset over the valley. A
            IDR 500k per-person deposit is taken at booking and refunded up to 48 hours before. Smart
            casual, with long trousers for men at dinner. Free parking and a free shuttle from central
            Ubud. All major cards. Closed Tuesdays."""
        ),
        "tags": ["fine-dining", "tasting-menu", "valley-view", "date-night", "special-occasion"],
        "cuisines": ["modern", "indonesian"],
        "price_level": 4,
        "average_spend": "1500000.00",
        "capacity": 60,
        "opening_hours": _hours("12:00-14:30 18:00-22:30", closed="tue"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 1440,
        "booking_window_days": 90,
        "deposit_required": True,
        "deposit_amount": "500000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Smart casual; long trousers for men at dinner",
        "referral_fee_pct": "10.00",
        "priority_rank": 90,
        "rating_average": "4.88",
        "rating_count": 876,
        "phone": "+62 361 972 4410",
        "whatsapp": "+62 811 3960 4410",
        "email": "table@sayanridge.example",
        "website": "https://sayan-ridge-dining-ubud.example",
        "instagram": "sayanridge",
    },
    {
        "name": "Warung Daun Pisang",
        "slug": "warung-daun-pisang-ubud",
        "city": "ubud",
        "category": "restaurant",
        "area": "Jalan Goutama",
        "address": "Jl. Goutama Selatan No. 11, Jalan Goutama, Ubud",
        "latitude": "-8.508130",
        "longitude": "115.263440",
        "description": _t(
            """A family home turned warung on quiet Jalan Goutama, serving Balinese dishes cooked by Ibu
            Made and her daughters. Many dishes are wrapped and steamed in banana leaf."""
        ),
        "knowledge_text": _t(
            """Signature dishes: pepes ikan (fish steamed in banana leaf, IDR 55k), bebek betutu for two
            with 24 hours' notice (IDR 320k) and a jackfruit lawar (IDR 45k, vegan). Every curry has a tofu
            and tempeh version, and the kitchen can cook without shrimp paste for vegans. Gluten-free is
            easy; ask for no kecap manis. Kids are welcome and the family's own children often play in
            the courtyard. Parking is tight on Jalan Goutama: scooters only, and cars should drop off on
            Jl. Dewi Sita. Cash and QRIS only, no cards. No wifi. Quiet at lunchtime, busy from 19:00.
            Bookings are recommended for four or more."""
        ),
        "tags": ["local-food", "budget", "balinese", "vegetarian-friendly", "family-run"],
        "cuisines": ["balinese", "indonesian"],
        "price_level": 1,
        "average_spend": "85000.00",
        "capacity": 40,
        "opening_hours": _hours("10:00-22:00"),
        "slot_minutes": 30,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 47,
        "rating_average": "4.70",
        "rating_count": 1450,
        "phone": "+62 857 3841 2206",
        "whatsapp": "+62 857 3841 2206",
        "email": "ibumade@daunpisang.example",
        "website": "",
        "instagram": "warungdaunpisang",
    },
    {
        "name": "Bodhi Leaf Plant Kitchen",
        "slug": "bodhi-leaf-kitchen-ubud",
        "city": "ubud",
        "category": "restaurant",
        "area": "Penestanan",
        "address": "Jl. Raya Penestanan No. 21, Penestanan, Ubud",
        "latitude": "-8.503480",
        "longitude": "115.249170",
        "description": _t(
            """A plant-based restaurant on the Penestanan ridge with raw, fermented and cooked dishes and
            sweeping rice-field views. Produce is grown within 30 km wherever possible."""
        ),
        "knowledge_text": _t(
            """The whole menu is vegan. Signatures: raw pad thai with kelp noodles (IDR 95k), tempeh rendang
            bowl (IDR 90k), a fermented cashew cheese board (IDR 120k) and cacao-avocado mousse (IDR 60k).
            80% of dishes are gluten-free and soy-free options are marked. Kids are welcome, with a kids'
            menu from IDR 45k and crayons. The upstairs deck has the best rice-field view at sunset; ask
            for it when booking. Free wifi, with quiet laptop tables until 11:00. Parking for 5 cars at
            the bottom of the Penestanan stairs; most guests walk up the 70 steps. Cards, QRIS and cash.
            Kombucha on tap IDR 40k."""
        ),
        "tags": ["vegan", "raw-food", "rice-field-view", "healthy", "gluten-free-options"],
        "cuisines": ["vegan", "raw", "healthy"],
        "price_level": 2,
        "average_spend": "190000.00",
        "capacity": 80,
        "opening_hours": _hours("08:00-21:30"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 71,
        "rating_average": "4.65",
        "rating_count": 1987,
        "phone": "+62 361 908 3371",
        "whatsapp": "+62 812 3670 3371",
        "email": "eat@bodhileaf.example",
        "website": "https://bodhi-leaf-kitchen-ubud.example",
        "instagram": "bodhileaf.ubud",
    },
    {
        "name": "Teras Padi Kitchen",
        "slug": "teras-padi-kitchen-ubud",
        "city": "ubud",
        "category": "restaurant",
        "area": "Tegallalang",
        "address": "Jl. Raya Tegallalang No. 150, Tegallalang, Ubud",
        "latitude": "-8.433540",
        "longitude": "115.279710",
        "description": _t(
            """A terraced restaurant looking straight over the Tegallalang rice terraces, serving crispy
            duck and Indonesian classics. Best reached early, before the tour buses."""
        ),
        "knowledge_text": _t(
            """The crispy duck set with rice, sambal matah and lawar is IDR 185k, and the signature half
            duck for sharing is IDR 275k. Vegetarian options include gado-gado (IDR 75k, vegan) and a
            mushroom nasi goreng (IDR 70k); gluten-free is possible on request. Kids are welcome, with
            high chairs and a small playground on the lower terrace. A large free car park takes cars
            and tour buses. Arrive before 09:30 for morning mist over the terraces and fewer crowds;
            12:00 to 14:00 is peak tour-group time. Cards, QRIS and cash. Wifi available. Groups of up
            to 20 can book the lower bale."""
        ),
        "tags": ["rice-field-view", "crispy-duck", "groups", "indonesian", "scenic"],
        "cuisines": ["indonesian", "balinese"],
        "price_level": 2,
        "average_spend": "210000.00",
        "capacity": 160,
        "opening_hours": _hours("08:00-18:00"),
        "slot_minutes": 30,
        "covers_per_slot": 40,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 66,
        "rating_average": "4.36",
        "rating_count": 3870,
        "phone": "+62 361 901 6624",
        "whatsapp": "+62 813 3811 6624",
        "email": "info@teraspadi.example",
        "website": "https://teras-padi-kitchen-ubud.example",
        "instagram": "teraspadi.kitchen",
    },
    {
        "name": "Lumbung Smokehouse",
        "slug": "lumbung-smokehouse-ubud",
        "city": "ubud",
        "category": "restaurant",
        "area": "Monkey Forest Road",
        "address": "Jl. Monkey Forest No. 63, Ubud",
        "latitude": "-8.512670",
        "longitude": "115.260980",
        "description": _t(
            """A Texas-meets-Bali smokehouse slow-smoking pork ribs, brisket and jackfruit over coffee wood.
            Loud, casual and good for groups."""
        ),
        "knowledge_text": _t(
            """Signatures: coffee-wood smoked pork ribs (half rack IDR 195k, full rack IDR 345k), 12-hour
            brisket (IDR 210k) and a smoked jackfruit burger (IDR 120k, vegan). The rib glaze contains
            gluten; plain-rubbed ribs are gluten-free on request. Sides from IDR 40k. Kids are welcome,
            with a kids' menu from IDR 60k and colouring sheets. Eight local craft beers on tap from IDR
            65k. The back room takes groups of up to 16. There is no parking on Monkey Forest Road; use
            the paid lot at the football field (IDR 5k scooter, IDR 10k car). Cards, QRIS and cash.
            Busiest 19:00 to 21:00; walk-ins usually wait 15 minutes at weekends."""
        ),
        "tags": ["bbq", "ribs", "groups", "casual", "craft-beer"],
        "cuisines": ["bbq", "american"],
        "price_level": 2,
        "average_spend": "260000.00",
        "capacity": 120,
        "opening_hours": _hours("11:00-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 24,
        "min_party_size": 1,
        "max_party_size": 16,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "9.00",
        "priority_rank": 63,
        "rating_average": "4.42",
        "rating_count": 2655,
        "phone": "+62 361 978 2251",
        "whatsapp": "+62 819 3612 2251",
        "email": "smoke@lumbung.example",
        "website": "https://lumbung-smokehouse-ubud.example",
        "instagram": "lumbungsmokehouse",
    },
    {
        "name": "Kopi Lumut",
        "slug": "kopi-lumut-ubud",
        "city": "ubud",
        "category": "cafe",
        "area": "Jalan Goutama",
        "address": "Jl. Goutama No. 5, Jalan Goutama, Ubud",
        "latitude": "-8.506880",
        "longitude": "115.263070",
        "description": _t(
            """A moss-green specialty coffee bar in a restored shophouse, roasting beans from Kintamani and
            Flores. Quiet garden seating behind the bar."""
        ),
        "knowledge_text": _t(
            """Single-origin filter coffees from Kintamani, Flores Bajawa and Toraja cost IDR 40k to 60k;
            the signature is es kopi gula aren, a palm-sugar iced latte (IDR 38k). Pastries are baked
            each morning: banana bread (IDR 35k), pandan kouign-amann (IDR 40k) and a vegan, gluten-free
            brownie (IDR 38k). Oat milk at no charge. Fast wifi (100 Mbps), power sockets at most garden
            tables and no time limit for laptops. It is a quiet space, so calls should be taken outside.
            Kids welcome. Scooter parking only. Cash, QRIS and cards. Beans are sold by the bag, and a
            cupping session runs on Saturday at 10:00 (IDR 150k)."""
        ),
        "tags": ["specialty-coffee", "laptop-friendly", "garden", "quiet", "pastries"],
        "cuisines": ["cafe", "bakery"],
        "price_level": 1,
        "average_spend": "85000.00",
        "capacity": 36,
        "opening_hours": _hours("07:30-18:00"),
        "slot_minutes": 30,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 54,
        "rating_average": "4.73",
        "rating_count": 1322,
        "phone": "+62 812 4655 0193",
        "whatsapp": "+62 812 4655 0193",
        "email": "roast@kopilumut.example",
        "website": "https://kopi-lumut-ubud.example",
        "instagram": "kopilumut",
    },
    {
        "name": "Awan Brunch House",
        "slug": "awan-brunch-house-ubud",
        "city": "ubud",
        "category": "cafe",
        "area": "Penestanan",
        "address": "Jl. Penestanan Kelod No. 4, Penestanan, Ubud",
        "latitude": "-8.507290",
        "longitude": "115.251840",
        "description": _t(
            """An airy brunch house with a pool garden and hanging rattan chairs, serving all-day breakfast
            and fresh juices. Yoga-class regulars fill it after 09:00."""
        ),
        "knowledge_text": _t(
            """Brunch favourites: eggs benedict on turmeric brioche (IDR 105k), green shakshuka (IDR 98k),
            the vegan coconut yoghurt bowl (IDR 80k) and pandan French toast (IDR 88k). Gluten-free bread,
            pancakes and cakes are prepared separately. Families are welcome: kids can swim in the
            shallow end of the garden pool with a parent (towels IDR 20k), and there is a kids' menu from
            IDR 45k. Free wifi but few sockets. A small car park fits 6 cars. Busiest 09:00 to 11:00
            after the morning yoga classes; quiet from 14:00. Cards, QRIS and cash. Tables in the pool
            garden can be reserved."""
        ),
        "tags": ["brunch", "pool-garden", "family-friendly", "gluten-free-options", "vegan-friendly"],
        "cuisines": ["brunch", "cafe", "healthy"],
        "price_level": 2,
        "average_spend": "130000.00",
        "capacity": 75,
        "opening_hours": _hours("07:00-17:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "7.00",
        "priority_rank": 57,
        "rating_average": "4.52",
        "rating_count": 1108,
        "phone": "+62 813 3850 7726",
        "whatsapp": "+62 813 3850 7726",
        "email": "hello@awanbrunch.example",
        "website": "https://awan-brunch-house-ubud.example",
        "instagram": "awanbrunchhouse",
    },
    {
        "name": "Cacao Monkey",
        "slug": "cacao-monkey-cafe-ubud",
        "city": "ubud",
        "category": "cafe",
        "area": "Monkey Forest Road",
        "address": "Jl. Monkey Forest No. 101, Ubud",
        "latitude": "-8.515520",
        "longitude": "115.260460",
        "description": _t(
            """A bean-to-bar chocolate café a short walk from the Sacred Monkey Forest, with a window into
            the chocolate workshop. Drinking chocolate, gelato and truffle-making classes."""
        ),
        "knowledge_text": _t(
            """Made with Balinese and Sulawesi cacao. Signatures: the 70% ceremonial hot chocolate (IDR
            55k), chocolate-chilli gelato (IDR 45k per scoop) and a molten lava cake (IDR 75k). All dark
            chocolate and sorbets are vegan, and any gelato can be made on a coconut-milk base. Most items
            are gluten-free apart from the cakes. The 90-minute truffle-making class (IDR 350k per person,
            IDR 200k for kids aged 5 to 12) runs at 10:00 and 14:00 and is popular with families.
            Air-conditioned inside, with wifi. No parking on Monkey Forest Road; use the football-field
            lot. Cards, QRIS and cash."""
        ),
        "tags": ["chocolate", "dessert", "kids-friendly", "workshop", "gelato"],
        "cuisines": ["dessert", "cafe"],
        "price_level": 2,
        "average_spend": "100000.00",
        "capacity": 40,
        "opening_hours": _hours("09:00-21:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 53,
        "rating_average": "4.60",
        "rating_count": 1789,
        "phone": "+62 361 971 0348",
        "whatsapp": "+62 812 3944 0348",
        "email": "choc@cacaomonkey.example",
        "website": "https://cacao-monkey-cafe-ubud.example",
        "instagram": "cacaomonkey.ubud",
    },
    {
        "name": "Ulin Jungle Bar",
        "slug": "ulin-jungle-bar-ubud",
        "city": "ubud",
        "category": "bar",
        "area": "Sayan",
        "address": "Jl. Raya Sayan No. 12X, Sayan, Ubud",
        "latitude": "-8.506260",
        "longitude": "115.243290",
        "description": _t(
            """A treehouse-style cocktail bar built from reclaimed ironwood, overlooking the Ayung River
            jungle. Ubud's sunset spot for botanical cocktails."""
        ),
        "knowledge_text": _t(
            """Cocktails use local arak, jamu herbs and garden botanicals: the Ulin Sour with arak,
            lemongrass and egg white (IDR 145k; a vegan version uses aquafaba) and a turmeric-tamarind
            spritz (IDR 135k). Mocktails IDR 85k. Bar snacks: crispy tempeh with sambal (IDR 55k, vegan),
            sate babi (IDR 90k) and a gluten-free corn fritter plate (IDR 65k). Children are welcome until
            19:00. Sunset is around 18:15; the 12 front-row seats on the ledge can be booked from 16:30 and
            are held for 20 minutes. Free parking for 10 cars; shuttle from central Ubud IDR 50k. Acoustic
            live music on Wednesday and Saturday. Cards and QRIS."""
        ),
        "tags": ["sunset", "jungle-view", "cocktails", "date-night", "arak", "live-music"],
        "cuisines": ["small-plates", "indonesian"],
        "price_level": 3,
        "average_spend": "350000.00",
        "capacity": 70,
        "opening_hours": _hours("15:00-23:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 73,
        "rating_average": "4.69",
        "rating_count": 1244,
        "phone": "+62 813 3780 6610",
        "whatsapp": "+62 813 3780 6610",
        "email": "sunset@ulinjungle.example",
        "website": "https://ulin-jungle-bar-ubud.example",
        "instagram": "ulinjunglebar",
    },
    {
        "name": "Tirta Sari Healing Spa",
        "slug": "tirta-sari-spa-ubud",
        "city": "ubud",
        "category": "spa",
        "area": "Sayan",
        "address": "Jl. Raya Sayan No. 88, Sayan, Ubud",
        "latitude": "-8.500980",
        "longitude": "115.242820",
        "description": _t(
            """A riverside spa with treatment bales above the Ayung River and a natural spring-fed pool. It
            combines Balinese massage with traditional usada healing."""
        ),
        "knowledge_text": _t(
            """Signature treatments: the 2-hour Tirta Ritual with spring-water bathing, Balinese massage and
            a jamu tonic (IDR 1.25 million), a 90-minute four-hands massage (IDR 1.1 million) and a
            60-minute reflexology session (IDR 420k). A consultation with the resident balian healer can
            be added for IDR 600k. The spring-fed pool and river deck are included with any treatment of
            90 minutes or more. Guests must be 16 or older. A IDR 300k deposit is required and refunded
            up to 24 hours before. Free pick-up within central Ubud. The 16:00 slot ends with sunset on
            the river. Cards, QRIS and cash."""
        ),
        "tags": ["riverside", "luxury", "couples", "balinese-massage", "holistic"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "850000.00",
        "capacity": 20,
        "opening_hours": _hours("09:00-20:00"),
        "slot_minutes": 60,
        "covers_per_slot": 6,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 360,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "300000.00",
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "15.00",
        "priority_rank": 79,
        "rating_average": "4.87",
        "rating_count": 1521,
        "phone": "+62 361 977 5530",
        "whatsapp": "+62 811 3950 5530",
        "email": "healing@tirtasari.example",
        "website": "https://tirta-sari-spa-ubud.example",
        "instagram": "tirtasari.spa",
    },
    {
        "name": "Boreh Herbal Spa",
        "slug": "boreh-herbal-spa-ubud",
        "city": "ubud",
        "category": "spa",
        "area": "Monkey Forest Road",
        "address": "Jl. Monkey Forest No. 24, Ubud",
        "latitude": "-8.509440",
        "longitude": "115.261640",
        "description": _t(
            """A friendly, affordable spa on Monkey Forest Road specialising in Balinese massage and
            traditional boreh herbal scrubs. Walk-ins welcome most afternoons."""
        ),
        "knowledge_text": _t(
            """Treatments: 60-minute Balinese massage (IDR 180k), 90-minute boreh herbal scrub and massage
            (IDR 280k), 60-minute foot reflexology (IDR 150k) and a cream bath hair treatment (IDR 160k).
            All oils are coconut-based and unscented options are available. Children from age 10 can have
            a 30-minute back or foot massage (IDR 100k) with a parent present. Walk-ins are usually
            accommodated after 14:00, but evenings after a Monkey Forest visit fill quickly. No parking;
            use the football-field lot nearby. Cash and QRIS preferred; cards accepted over IDR 300k.
            Free ginger tea and a shower after every treatment."""
        ),
        "tags": ["budget", "balinese-massage", "walk-in-friendly", "reflexology", "herbal"],
        "cuisines": [],
        "price_level": 1,
        "average_spend": "250000.00",
        "capacity": 14,
        "opening_hours": _hours("09:00-22:00"),
        "slot_minutes": 30,
        "covers_per_slot": 4,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 50,
        "rating_average": "4.55",
        "rating_count": 2380,
        "phone": "+62 878 6033 9912",
        "whatsapp": "+62 878 6033 9912",
        "email": "book@borehspa.example",
        "website": "",
        "instagram": "borehherbalspa",
    },
    {
        "name": "Amerta Sound Sanctuary",
        "slug": "amerta-sound-sanctuary-ubud",
        "city": "ubud",
        "category": "wellness",
        "area": "Penestanan",
        "address": "Jl. Penestanan Kaja No. 35, Penestanan, Ubud",
        "latitude": "-8.501920",
        "longitude": "115.252510",
        "description": _t(
            """A yoga and sound-healing sanctuary with two shalas above the rice fields, known for gong
            baths and ecstatic dance. Teacher trainings run every month."""
        ),
        "knowledge_text": _t(
            """Drop-in yoga classes are IDR 140k and a 10-class card IDR 1.2 million. The signature Gong
            Bath (75 minutes, Tuesday, Thursday and Sunday at 19:00) is IDR 220k and sells out, so book at
            least a day ahead. Ecstatic Dance runs Friday at 10:00 (IDR 180k) and is alcohol-free and
            phone-free. Children under 16 may attend with a parent, and family yoga runs Saturday at
            09:00. Mats, bolsters and blankets are provided. An on-site vegan café serves smoothie bowls
            (IDR 70k) and nourish bowls (IDR 85k). Parking for 20 scooters; cars drop off on the
            Penestanan road. Cards, QRIS and cash. 200-hour teacher trainings start on the first Monday
            of each month."""
        ),
        "tags": ["yoga", "sound-healing", "ecstatic-dance", "rice-field-view", "retreat"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "200000.00",
        "capacity": 80,
        "opening_hours": _hours("07:00-21:30"),
        "slot_minutes": 90,
        "covers_per_slot": 60,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 65,
        "rating_average": "4.80",
        "rating_count": 2034,
        "phone": "+62 812 3811 4590",
        "whatsapp": "+62 812 3811 4590",
        "email": "om@amerta.example",
        "website": "https://amerta-sound-sanctuary-ubud.example",
        "instagram": "amerta.sanctuary",
    },
    {
        "name": "Canopy Strength Club",
        "slug": "canopy-strength-club-ubud",
        "city": "ubud",
        "category": "fitness",
        "area": "Nyuh Kuning",
        "address": "Jl. Nyuh Bulan No. 9, Nyuh Kuning, Ubud",
        "latitude": "-8.521180",
        "longitude": "115.258720",
        "description": _t(
            """An open-air jungle gym in Nyuh Kuning village with free weights, a functional rig and a
            25-metre lap pool. Popular with long-stay digital nomads."""
        ),
        "knowledge_text": _t(
            """Day pass IDR 130k, 10-visit card IDR 1.05 million and monthly membership IDR 1.5 million, all
            including the 25-metre saltwater lap pool. Classes (functional strength, boxing, mobility and
            aqua fitness) run at 07:00, 09:00, 17:00 and 18:30 and are included. Personal training from
            IDR 400k. Minimum age 16; under-18s need a signed parental waiver. Shirts on and closed-toe
            shoes inside the gym. Lockers, showers and free towels. A smoothie bar serves protein shakes
            (IDR 60k, vegan protein available) and coffee. Free parking for 30 scooters and 8 cars. Cards
            and QRIS. Mornings before 08:00 are cooler and quieter."""
        ),
        "tags": ["gym", "lap-pool", "open-air", "day-pass", "classes"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "130000.00",
        "capacity": 90,
        "opening_hours": _hours("06:00-21:00"),
        "slot_minutes": 60,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "Shirts on and closed-toe shoes in the gym",
        "referral_fee_pct": "6.00",
        "priority_rank": 49,
        "rating_average": "4.58",
        "rating_count": 967,
        "phone": "+62 813 3733 1874",
        "whatsapp": "+62 813 3733 1874",
        "email": "train@canopystrength.example",
        "website": "https://canopy-strength-club-ubud.example",
        "instagram": "canopystrength",
    },
    {
        "name": "Subak Trails Cycling",
        "slug": "subak-trails-cycling-ubud",
        "city": "ubud",
        "category": "activity",
        "area": "Tegallalang",
        "address": "Jl. Raya Tegallalang No. 8, Tegallalang, Ubud",
        "latitude": "-8.427650",
        "longitude": "115.281330",
        "description": _t(
            """Guided downhill bike tours from the Kintamani ridge through villages and the Tegallalang rice
            terraces. Includes breakfast with a volcano view and a Balinese lunch."""
        ),
        "knowledge_text": _t(
            """The half-day downhill tour (25 km, mostly downhill) costs IDR 550k per adult and IDR 380k for
            children aged 8 to 12; it includes pick-up from central Ubud, breakfast facing Mount Batur,
            bikes, helmets, a guide and a Balinese lunch. Pick-ups are at 07:00 and the tour ends around
            14:00. Child seats and tandem trailers are available for ages 3 to 7 at no extra cost.
            Vegetarian, vegan and gluten-free lunches on request when booking. Book at least 24 hours
            ahead; free cancellation up to 24 hours before. E-bikes cost IDR 150k extra. Cash, QRIS or
            card; payment is taken on the day."""
        ),
        "tags": ["cycling", "rice-terraces", "half-day", "family-friendly", "volcano-view"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "550000.00",
        "capacity": 60,
        "opening_hours": _hours("06:00-16:00"),
        "slot_minutes": 60,
        "covers_per_slot": 20,
        "min_party_size": 1,
        "max_party_size": 15,
        "booking_lead_minutes": 1440,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "15.00",
        "priority_rank": 67,
        "rating_average": "4.84",
        "rating_count": 2312,
        "phone": "+62 812 3680 5147",
        "whatsapp": "+62 812 3680 5147",
        "email": "ride@subaktrails.example",
        "website": "https://subak-trails-cycling-ubud.example",
        "instagram": "subaktrails",
    },
]


# --------------------------------------------------------------------------------------
# Venues: Uluwatu
# --------------------------------------------------------------------------------------

_ULUWATU = [
    {
        "name": "Karang Cliff Kitchen",
        "slug": "karang-cliff-kitchen-uluwatu",
        "city": "uluwatu",
        "category": "restaurant",
        "area": "Bingin",
        "address": "Jl. Pantai Bingin No. 27, Bingin, Uluwatu",
        "latitude": "-8.805630",
        "longitude": "115.113440",
        "description": _t(
            """A clifftop seafood restaurant above Bingin beach, grilling the day's catch from Jimbaran
            over coconut husk. The edge tables look straight down onto the surf."""
        ),
        "knowledge_text": _t(
            """Choose your fish from the ice bed: snapper, grouper, tuna and prawns are sold by weight
            (about IDR 180k to 350k per 500 g) and grilled Jimbaran-style with three sambals. A whole
            lobster is IDR 690k. Vegetarian options include a grilled vegetable platter (IDR 120k, vegan)
            and a tofu curry. Most grills are gluten-free without kecap. The eight edge tables are only
            bookable for the 17:00 to 19:00 sunset seating and are held for 15 minutes. Kids are welcome,
            but the edge tables are not suitable for toddlers. Parking for 12 cars at the top of the
            Bingin lane. Cards, QRIS and cash."""
        ),
        "tags": ["seafood", "sunset", "ocean-view", "date-night", "clifftop"],
        "cuisines": ["seafood", "indonesian", "grill"],
        "price_level": 3,
        "average_spend": "450000.00",
        "capacity": 90,
        "opening_hours": _hours("11:00-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 16,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 60,
        "booking_window_days": 45,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "11.00",
        "priority_rank": 81,
        "rating_average": "4.63",
        "rating_count": 1876,
        "phone": "+62 361 848 2273",
        "whatsapp": "+62 812 3866 2273",
        "email": "catch@karangcliff.example",
        "website": "https://karang-cliff-kitchen-uluwatu.example",
        "instagram": "karangcliffkitchen",
    },
    {
        "name": "Brasa Asado",
        "slug": "brasa-asado-uluwatu",
        "city": "uluwatu",
        "category": "restaurant",
        "area": "Pecatu",
        "address": "Jl. Raya Uluwatu No. 88, Pecatu, Uluwatu",
        "latitude": "-8.821440",
        "longitude": "115.122870",
        "description": _t(
            """An Argentinian-style asado grill cooking whole cuts over an iron-cross fire pit. Big tables,
            Malbec and a garden under frangipani trees."""
        ),
        "knowledge_text": _t(
            """The asado for two (beef short rib, chorizo, morcilla and provoleta, IDR 990k) is the
            centrepiece; other favourites are the picanha (IDR 385k) and empanadas (IDR 45k each).
            Chimichurri and most grills are gluten-free. The vegetarian parrilla of grilled vegetables,
            halloumi and humita (IDR 225k) can be made vegan. Kids are welcome and there is a lawn with a
            swing set; the kids' steak and chips is IDR 150k. Argentinian Malbec by the glass from IDR
            145k. Groups of up to 20 can pre-order a whole fire-roasted lamb with 48 hours' notice (IDR
            4.5 million). Free parking for 25 cars. Cards, QRIS and cash. Closed Mondays."""
        ),
        "tags": ["steak", "asado", "groups", "wine", "garden"],
        "cuisines": ["argentinian", "grill", "steakhouse"],
        "price_level": 3,
        "average_spend": "550000.00",
        "capacity": 130,
        "opening_hours": _hours("17:00-23:00", closed="mon"),
        "slot_minutes": 30,
        "covers_per_slot": 22,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 60,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 74,
        "rating_average": "4.57",
        "rating_count": 1045,
        "phone": "+62 361 849 6610",
        "whatsapp": "+62 811 3899 6610",
        "email": "fuego@brasaasado.example",
        "website": "https://brasa-asado-uluwatu.example",
        "instagram": "brasa.asado",
    },
    {
        "name": "Nelayan Seafood Shack",
        "slug": "nelayan-seafood-shack-uluwatu",
        "city": "uluwatu",
        "category": "restaurant",
        "area": "Melasti",
        "address": "Jl. Pantai Melasti, Ungasan, Melasti, Uluwatu",
        "latitude": "-8.847680",
        "longitude": "115.160240",
        "description": _t(
            """A barefoot seafood shack at the bottom of the Melasti cliff road, run by a fishing family
            from Kedonganan. Plastic chairs, cold beer and very fresh fish."""
        ),
        "knowledge_text": _t(
            """Set menus: grilled fish with rice, vegetables and sambal (IDR 85k), a seafood basket for two
            with prawns, squid and clams (IDR 260k) and whole grilled snapper by weight (about IDR 120k).
            Vegetarians get nasi goreng sayur or tofu sambal (IDR 45k); gluten-free is possible if you skip
            the kecap. Kids are welcome, and the beach in front is calm at low tide. The only alcohol is
            Bintang (IDR 40k). Parking is at the Melasti beach lot (IDR 5k scooter, IDR 10k car, plus the
            beach entrance fee). Cash and QRIS only; no wifi. It closes at 20:00, so come for a late lunch
            or sunset."""
        ),
        "tags": ["seafood", "budget", "beachfront", "casual", "family-friendly"],
        "cuisines": ["seafood", "indonesian"],
        "price_level": 1,
        "average_spend": "150000.00",
        "capacity": 70,
        "opening_hours": _hours("10:00-20:00"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 15,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "7.00",
        "priority_rank": 51,
        "rating_average": "4.46",
        "rating_count": 1320,
        "phone": "+62 878 6155 2039",
        "whatsapp": "+62 878 6155 2039",
        "email": "ikan@nelayanshack.example",
        "website": "",
        "instagram": "nelayanshack",
    },
    {
        "name": "Tamarind Tiger Thai",
        "slug": "tamarind-tiger-thai-uluwatu",
        "city": "uluwatu",
        "category": "restaurant",
        "area": "Suluban",
        "address": "Jl. Labuansait No. 41, Suluban, Uluwatu",
        "latitude": "-8.814810",
        "longitude": "115.091760",
        "description": _t(
            """A lively Thai street-food restaurant with a charcoal wok station and an open-air courtyard.
            Spice levels go from mild to properly Bangkok."""
        ),
        "knowledge_text": _t(
            """Favourites: khao soi with braised chicken (IDR 110k), som tam with salted egg (IDR 75k),
            massaman beef cheek (IDR 155k) and mango sticky rice (IDR 65k). Every curry has a tofu version
            and the kitchen keeps a separate vegan fish sauce, so most dishes can be made vegan.
            Gluten-free options are marked and soy sauce is swapped for tamari on request. Spice levels
            run from 1 to 5. Kids welcome; a mild kids' pad thai is IDR 55k. Parking for 6 cars and plenty
            of scooters. Happy hour 16:00 to 18:00 with two-for-one Thai beer and cocktails. Cards, QRIS
            and cash. Delivery through the usual food apps."""
        ),
        "tags": ["thai", "spicy", "casual", "vegan-friendly", "happy-hour"],
        "cuisines": ["thai"],
        "price_level": 2,
        "average_spend": "220000.00",
        "capacity": 85,
        "opening_hours": _hours("12:00-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 16,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 60,
        "rating_average": "4.50",
        "rating_count": 967,
        "phone": "+62 813 3799 5521",
        "whatsapp": "+62 813 3799 5521",
        "email": "sawasdee@tamarindtiger.example",
        "website": "https://tamarind-tiger-thai-uluwatu.example",
        "instagram": "tamarindtiger",
    },
    {
        "name": "Cliffside Crema",
        "slug": "cliffside-crema-uluwatu",
        "city": "uluwatu",
        "category": "cafe",
        "area": "Bingin",
        "address": "Jl. Pantai Bingin No. 5, Bingin, Uluwatu",
        "latitude": "-8.804200",
        "longitude": "115.115890",
        "description": _t(
            """A surfers' café at the top of the Bingin stairs, opening at dawn for first-light sessions.
            Strong coffee, breakfast burritos and an ocean view."""
        ),
        "knowledge_text": _t(
            """Opens at 06:00 for dawn-patrol surfers. Signatures: the breakfast burrito with chorizo and
            eggs (IDR 95k, or a vegan tofu version for IDR 90k), coconut cold brew (IDR 45k) and a
            surf-check açaí bowl (IDR 80k). Gluten-free wraps cost IDR 10k extra. Kids welcome; a board by
            the counter shows the tide and swell each morning. Satellite wifi, with sockets along the
            bench facing the ocean, and laptops are fine all day. Board racks for 20 boards. Scooter
            parking on the lane; cars park at the Bingin car park 200 m up. Cards, QRIS and cash. Quietest
            after 11:00 once the surfers have left."""
        ),
        "tags": ["surf", "breakfast", "ocean-view", "early-opening", "laptop-friendly"],
        "cuisines": ["cafe", "brunch", "mexican"],
        "price_level": 2,
        "average_spend": "120000.00",
        "capacity": 50,
        "opening_hours": _hours("06:00-16:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.00",
        "priority_rank": 56,
        "rating_average": "4.61",
        "rating_count": 1140,
        "phone": "+62 812 4690 3318",
        "whatsapp": "+62 812 4690 3318",
        "email": "crema@cliffside.example",
        "website": "https://cliffside-crema-uluwatu.example",
        "instagram": "cliffsidecrema",
    },
    {
        "name": "Salt & Sourdough",
        "slug": "salt-sourdough-uluwatu",
        "city": "uluwatu",
        "category": "cafe",
        "area": "Padang Padang",
        "address": "Jl. Labuansait No. 120, Padang Padang, Uluwatu",
        "latitude": "-8.810820",
        "longitude": "115.104970",
        "description": _t(
            """A bakery-café on the main Padang Padang road, baking sourdough and cinnamon scrolls every
            day. Sandwiches and picnic boxes to take to the beach."""
        ),
        "knowledge_text": _t(
            """Best known for the cardamom cinnamon scroll (IDR 42k, sold out by 11:00), the Reuben on rye
            (IDR 115k) and a roasted vegetable focaccia sandwich (IDR 95k, vegan). Sourdough loaves IDR
            75k. There is no gluten-free bread because everything is made in one flour-dusted bakery, so
            coeliacs should choose elsewhere. Beach picnic boxes for two (IDR 260k) can be pre-ordered by
            WhatsApp the day before. Kids welcome; high chairs available. Air-conditioned dining room with
            wifi. Parking for 4 cars plus scooters. Cards, QRIS and cash. Come between 07:00 and 09:00 for
            pastries fresh from the oven."""
        ),
        "tags": ["bakery", "brunch", "takeaway", "picnic", "air-conditioned"],
        "cuisines": ["bakery", "cafe"],
        "price_level": 2,
        "average_spend": "130000.00",
        "capacity": 55,
        "opening_hours": _hours("07:00-17:00"),
        "slot_minutes": 30,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.00",
        "priority_rank": 52,
        "rating_average": "4.54",
        "rating_count": 832,
        "phone": "+62 819 3300 6471",
        "whatsapp": "+62 819 3300 6471",
        "email": "loaves@saltsourdough.example",
        "website": "https://salt-sourdough-uluwatu.example",
        "instagram": "saltandsourdough",
    },
    {
        "name": "Matcha Ombak",
        "slug": "matcha-ombak-uluwatu",
        "city": "uluwatu",
        "category": "cafe",
        "area": "Suluban",
        "address": "Jl. Labuansait No. 8, Suluban, Uluwatu",
        "latitude": "-8.813260",
        "longitude": "115.089650",
        "description": _t(
            """A minimalist matcha and hojicha café with Japanese-style breakfast sets near Suluban beach.
            Calm, air-conditioned and popular with remote workers."""
        ),
        "knowledge_text": _t(
            """Signatures: ceremonial-grade matcha latte (IDR 58k), hojicha affogato (IDR 62k) and the
            Japanese breakfast set of grilled salmon, rice, miso soup and pickles (IDR 135k). The tofu
            breakfast set is vegan (IDR 115k) and gluten-free with tamari. Oat and soy milk are free. This
            is a quiet space: children under 10 are not admitted, calls must be taken outside, and there
            are 20 laptop seats with sockets and fast fibre wifi. A reserved desk for the day is IDR 80k
            including one drink. Parking for 3 cars and 15 scooters. Cards and QRIS only, no cash. Closed
            on Wednesdays."""
        ),
        "tags": ["matcha", "japanese-breakfast", "laptop-friendly", "air-conditioned", "quiet"],
        "cuisines": ["japanese", "cafe"],
        "price_level": 2,
        "average_spend": "140000.00",
        "capacity": 40,
        "opening_hours": _hours("07:30-18:00", closed="wed"),
        "slot_minutes": 30,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "7.00",
        "priority_rank": 50,
        "rating_average": "4.68",
        "rating_count": 540,
        "phone": "+62 821 4470 8802",
        "whatsapp": "+62 821 4470 8802",
        "email": "ocha@matchaombak.example",
        "website": "https://matcha-ombak-uluwatu.example",
        "instagram": "matchaombak",
    },
    {
        "name": "Limestone Beach Club",
        "slug": "limestone-beach-club-uluwatu",
        "city": "uluwatu",
        "category": "beach_club",
        "area": "Melasti",
        "address": "Jl. Pantai Melasti No. 1, Ungasan, Melasti, Uluwatu",
        "latitude": "-8.848920",
        "longitude": "115.162380",
        "description": _t(
            """A beach club set into the white limestone cliffs of Melasti beach, with a lagoon pool, a
            kids' club and calm turquoise water at low tide. A relaxed day-long hangout rather than a
            party."""
        ),
        "knowledge_text": _t(
            """Daybeds have a minimum spend of IDR 1.2 million for up to four people and the cliff-shaded
            family cabanas IDR 2.5 million for up to eight; bookings need a IDR 500k deposit, credited to
            the bill. The Little Reef kids' club (ages 3 to 10) runs 10:00 to 17:00 with a splash pad,
            sandpit and supervised activities, free for guests. Lunch favourites: nasi campur (IDR 125k),
            grilled fish tacos (IDR 145k) and a vegan buddha bowl (IDR 120k); gluten-free pizza bases are
            available. The sea in front is best for swimming at low tide. Free shuttle from the Melasti
            car park. Cards and QRIS only. Relaxed dress code; swimwear is fine everywhere."""
        ),
        "tags": ["kids-area", "pool", "family-friendly", "white-sand", "daybeds"],
        "cuisines": ["mediterranean", "indonesian", "seafood"],
        "price_level": 3,
        "average_spend": "400000.00",
        "capacity": 450,
        "opening_hours": _hours("09:00-21:00"),
        "slot_minutes": 60,
        "covers_per_slot": 60,
        "min_party_size": 1,
        "max_party_size": 16,
        "booking_lead_minutes": 60,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "500000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": "1200000.00",
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 83,
        "rating_average": "4.52",
        "rating_count": 3390,
        "phone": "+62 361 620 8870",
        "whatsapp": "+62 811 3970 8870",
        "email": "daybeds@limestoneclub.example",
        "website": "https://limestone-beach-club-uluwatu.example",
        "instagram": "limestone.melasti",
    },
    {
        "name": "Tebing Infinity Club",
        "slug": "tebing-infinity-club-uluwatu",
        "city": "uluwatu",
        "category": "beach_club",
        "area": "Pecatu",
        "address": "Jl. Raya Uluwatu Pecatu No. 200, Pecatu, Uluwatu",
        "latitude": "-8.826840",
        "longitude": "115.110930",
        "description": _t(
            """An adults-only clifftop pool club 100 metres above the Indian Ocean, with a 60-metre infinity
            pool and sunset DJ sets. The dress-up, champagne end of Uluwatu."""
        ),
        "knowledge_text": _t(
            """Strictly 18+. Infinity-pool daybeds for two carry a minimum spend of IDR 4 million (IDR 6
            million on Friday and Saturday), cliff-edge sofas IDR 8 million for six and the Sky Cabana IDR
            20 million for twelve. A IDR 1.5 million deposit is required and is non-refundable within 72
            hours; bookings cancelled because of heavy rain are moved to another day. Without a booking
            there is a IDR 300k entry fee, redeemable on food and drink. Menu highlights: tuna crudo (IDR
            195k), miso black cod (IDR 425k) and a vegan cauliflower steak (IDR 210k). Resort-chic dress:
            no sports jerseys and no board shorts after 18:00. Free valet. Cards only."""
        ),
        "tags": ["adults-only", "infinity-pool", "sunset", "luxury", "dj", "champagne"],
        "cuisines": ["mediterranean", "japanese"],
        "price_level": 4,
        "average_spend": "900000.00",
        "capacity": 380,
        "opening_hours": _hours("11:00-23:00", fri="11:00-00:30", sat="11:00-00:30"),
        "slot_minutes": 60,
        "covers_per_slot": 50,
        "min_party_size": 2,
        "max_party_size": 12,
        "booking_lead_minutes": 240,
        "booking_window_days": 90,
        "deposit_required": True,
        "deposit_amount": "1500000.00",
        "cancellation_window_hours": 72,
        "minimum_spend": "4000000.00",
        "kids_allowed": False,
        "dress_code": "Resort chic; no sports jerseys or board shorts after 18:00",
        "referral_fee_pct": "14.50",
        "priority_rank": 87,
        "rating_average": "4.47",
        "rating_count": 4210,
        "phone": "+62 361 300 9120",
        "whatsapp": "+62 811 3990 9120",
        "email": "concierge@tebingclub.example",
        "website": "https://tebing-infinity-club-uluwatu.example",
        "instagram": "tebing.uluwatu",
    },
    {
        "name": "Dusk Patrol Bar",
        "slug": "dusk-patrol-bar-uluwatu",
        "city": "uluwatu",
        "category": "bar",
        "area": "Padang Padang",
        "address": "Jl. Labuansait No. 66, Padang Padang, Uluwatu",
        "latitude": "-8.811490",
        "longitude": "115.101520",
        "description": _t(
            """A surf bar with a skate bowl, live bands and surf films projected on a garden wall. Uluwatu's
            loud, friendly neighbourhood hangout."""
        ),
        "knowledge_text": _t(
            """Live bands every Wednesday and Saturday from 21:00, surf films on Sunday at 19:00 and a skate
            jam in the mini bowl on Friday afternoons (bring your own board or rent one for IDR 50k).
            Pints of local craft beer from IDR 70k; margaritas IDR 110k. The kitchen serves smash burgers
            (IDR 120k), birria tacos (IDR 115k) and a vegan mushroom burger (IDR 110k); gluten-free buns
            are IDR 15k extra. Kids are welcome until 20:00, after which it is 18+. Large scooter park
            and 10 car spaces. Cards, QRIS and cash. Group tables can be booked; the bar area is
            walk-in."""
        ),
        "tags": ["live-music", "surf", "skate-bowl", "craft-beer", "late-night"],
        "cuisines": ["american", "mexican"],
        "price_level": 2,
        "average_spend": "250000.00",
        "capacity": 180,
        "opening_hours": _hours("12:00-01:00", fri="12:00-02:00", sat="12:00-02:00"),
        "slot_minutes": 30,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 15,
        "booking_lead_minutes": 30,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 65,
        "rating_average": "4.40",
        "rating_count": 2760,
        "phone": "+62 812 3655 0184",
        "whatsapp": "+62 812 3655 0184",
        "email": "stoked@duskpatrol.example",
        "website": "https://dusk-patrol-bar-uluwatu.example",
        "instagram": "duskpatrol.bar",
    },
    {
        "name": "Goa Sound",
        "slug": "goa-sound-uluwatu",
        "city": "uluwatu",
        "category": "nightclub",
        "area": "Pecatu",
        "address": "Jl. Raya Uluwatu No. 150X, Pecatu, Uluwatu",
        "latitude": "-8.824300",
        "longitude": "115.117580",
        "description": _t(
            """A club built into a natural limestone cave, playing house and melodic techno under a ceiling
            of stalactites. Opens late three nights a week."""
        ),
        "knowledge_text": _t(
            """Open Thursday, Friday and Saturday from 22:00 to 04:00. Tickets are IDR 350k on the door or
            IDR 250k when booked through the concierge before 20:00; headline nights cost IDR 500k. The
            cave holds 500 people and is strictly 21+. Alcove tables for up to 12 need a IDR 6 million
            minimum spend and a IDR 1 million deposit. Smart casual and closed shoes are required, as the
            cave floor is uneven. No food apart from bar snacks; cocktails from IDR 160k. Parking is
            free, and a shuttle runs from Bingin and Padang Padang every 30 minutes (IDR 50k return).
            Cards and cash. No photos on the dance floor."""
        ),
        "tags": ["cave", "techno", "house", "late-night", "dj"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "550000.00",
        "capacity": 500,
        "opening_hours": _hours("22:00-04:00", closed="mon tue wed sun"),
        "slot_minutes": 60,
        "covers_per_slot": 50,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 120,
        "booking_window_days": 30,
        "deposit_required": True,
        "deposit_amount": "1000000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": "6000000.00",
        "kids_allowed": False,
        "dress_code": "Smart casual; closed shoes required",
        "referral_fee_pct": "15.00",
        "priority_rank": 62,
        "rating_average": "4.28",
        "rating_count": 1498,
        "phone": "+62 819 3622 4404",
        "whatsapp": "+62 819 3622 4404",
        "email": "alcoves@goasound.example",
        "website": "https://goa-sound-uluwatu.example",
        "instagram": "goasound.bali",
    },
    {
        "name": "Pandan Cliff Spa",
        "slug": "pandan-cliff-spa-uluwatu",
        "city": "uluwatu",
        "category": "spa",
        "area": "Bingin",
        "address": "Jl. Pantai Bingin No. 44, Bingin, Uluwatu",
        "latitude": "-8.807830",
        "longitude": "115.110710",
        "description": _t(
            """An ocean-view spa with open-sided treatment bales on the Bingin cliffs, specialising in
            post-surf recovery. Uses pandan, lemongrass and Bukit seaweed."""
        ),
        "knowledge_text": _t(
            """Signature treatments: the 90-minute Surfer's Recovery deep-tissue massage with arnica and
            pandan oil (IDR 480k), a 60-minute sunburn-soothing aloe and cucumber wrap (IDR 350k) and a
            2-hour clifftop couples' ritual timed for sunset (IDR 1.6 million for two). Reef-cut cleaning
            and aloe aftercare are free with any booking. Guests must be 14 or older. The sunset slot
            starting at 17:00 books out days ahead. There is no deposit, but cancellations within 12 hours
            are charged 50%. Parking: scooters only on the Bingin lane; cars use the Bingin car park.
            Cards, QRIS and cash."""
        ),
        "tags": ["ocean-view", "surf-recovery", "deep-tissue", "couples", "sunset"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "500000.00",
        "capacity": 12,
        "opening_hours": _hours("09:00-20:00"),
        "slot_minutes": 60,
        "covers_per_slot": 4,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 120,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "13.00",
        "priority_rank": 68,
        "rating_average": "4.78",
        "rating_count": 756,
        "phone": "+62 813 3811 7702",
        "whatsapp": "+62 813 3811 7702",
        "email": "unwind@pandancliff.example",
        "website": "https://pandan-cliff-spa-uluwatu.example",
        "instagram": "pandancliffspa",
    },
    {
        "name": "Ocean Breath Yoga",
        "slug": "ocean-breath-yoga-uluwatu",
        "city": "uluwatu",
        "category": "wellness",
        "area": "Padang Padang",
        "address": "Jl. Labuansait No. 10X, Padang Padang, Uluwatu",
        "latitude": "-8.809160",
        "longitude": "115.106240",
        "description": _t(
            """An ocean-view yoga shala with surf-specific classes designed around the tides. Mobility, yin
            and pranayama for surfers and non-surfers alike."""
        ),
        "knowledge_text": _t(
            """Drop-in classes are IDR 160k, a 5-class pass IDR 700k and an unlimited month IDR 2.4
            million. The signature Surf Mobility class (75 minutes) runs daily at 07:00 and 16:00 and
            focuses on hips, shoulders and pop-ups; yin and breathwork run at 18:00 (IDR 180k). Kids aged
            6 to 12 have a playful surf-yoga class on Saturday at 09:00 (IDR 120k). Mats, towels and
            filtered water are provided, and there are outdoor showers. The 06:30 sunrise class faces the
            ocean and is the most popular. Parking for 12 scooters and 3 cars. Cards, QRIS and cash. Class
            credits expire after 60 days."""
        ),
        "tags": ["yoga", "surf-yoga", "ocean-view", "mobility", "sunrise"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "160000.00",
        "capacity": 35,
        "opening_hours": _hours("06:30-19:30"),
        "slot_minutes": 90,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 8,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 58,
        "rating_average": "4.82",
        "rating_count": 698,
        "phone": "+62 821 4466 3015",
        "whatsapp": "+62 821 4466 3015",
        "email": "breathe@oceanbreath.example",
        "website": "https://ocean-breath-yoga-uluwatu.example",
        "instagram": "oceanbreath.yoga",
    },
    {
        "name": "Bukit Fight & Fitness",
        "slug": "bukit-fight-fitness-uluwatu",
        "city": "uluwatu",
        "category": "fitness",
        "area": "Pecatu",
        "address": "Jl. Raya Uluwatu Pecatu No. 31, Pecatu, Uluwatu",
        "latitude": "-8.819210",
        "longitude": "115.124760",
        "description": _t(
            """A Muay Thai and strength camp with two rings, a weight room and an ice-bath garden. Trainers
            from Thailand and Bali coach everyone from first-timers to fighters."""
        ),
        "knowledge_text": _t(
            """Group Muay Thai classes (90 minutes) run at 07:00, 09:00 and 17:00 for IDR 200k drop-in, IDR
            1.6 million for 10 sessions or IDR 3.2 million for an unlimited month including the gym.
            Private sessions with a Thai trainer cost IDR 550k. Kids' Muay Thai (ages 7 to 14) runs
            Monday, Wednesday and Friday at 16:00 (IDR 150k). Gloves are free to borrow; hand wraps rent
            for IDR 30k. The weight room is open all day, and two ice baths and a sauna are included for
            members. Fight-night tickets are sold for the last Saturday of each month. Free parking.
            Cards, QRIS and cash."""
        ),
        "tags": ["muay-thai", "boxing", "gym", "ice-bath", "kids-classes"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "200000.00",
        "capacity": 80,
        "opening_hours": _hours("06:30-20:30", sun="08:00-12:00"),
        "slot_minutes": 60,
        "covers_per_slot": 20,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 60,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Bring or rent hand wraps",
        "referral_fee_pct": "7.00",
        "priority_rank": 53,
        "rating_average": "4.71",
        "rating_count": 1120,
        "phone": "+62 812 3977 6650",
        "whatsapp": "+62 812 3977 6650",
        "email": "fight@bukitfight.example",
        "website": "https://bukit-fight-fitness-uluwatu.example",
        "instagram": "bukitfightfitness",
    },
    {
        "name": "Suluban Surf Guides",
        "slug": "suluban-surf-guides-uluwatu",
        "city": "uluwatu",
        "category": "activity",
        "area": "Suluban",
        "address": "Jl. Labuansait No. 2, Suluban, Uluwatu",
        "latitude": "-8.815630",
        "longitude": "115.087940",
        "description": _t(
            """Local surf guides who take intermediate surfers to the right Bukit break for the day's swell.
            They also run reef-safety sessions for newcomers."""
        ),
        "knowledge_text": _t(
            """A half-day guided session (up to 4 surfers per guide) costs IDR 850k per person and includes
            transport around the Bukit, water, fruit and spot selection for the swell; a photographer is
            IDR 450k extra. Guiding is for intermediate and advanced surfers who can paddle out and
            duck-dive on their own. Less experienced surfers should book the 2-hour reef-safety and
            whitewater session (IDR 600k). Minimum age 14 because of the shallow reefs. Board rental IDR
            150k per day; reef boots IDR 50k. Sessions start at dawn or with the mid-tide. Book at least 24
            hours ahead. Cash, QRIS or card."""
        ),
        "tags": ["surf", "surf-guiding", "intermediate", "photo-package", "reef-break"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "850000.00",
        "capacity": 20,
        "opening_hours": _hours("05:30-17:00"),
        "slot_minutes": 60,
        "covers_per_slot": 8,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 1440,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": False,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 59,
        "rating_average": "4.89",
        "rating_count": 615,
        "phone": "+62 878 6177 0923",
        "whatsapp": "+62 878 6177 0923",
        "email": "guides@sulubansurf.example",
        "website": "https://suluban-surf-guides-uluwatu.example",
        "instagram": "sulubansurfguides",
    },
]


# --------------------------------------------------------------------------------------
# Venues: Sanur
# --------------------------------------------------------------------------------------

_SANUR = [
    {
        "name": "Rumah Laut Seafood",
        "slug": "rumah-laut-seafood-sanur",
        "city": "sanur",
        "category": "restaurant",
        "area": "Semawang",
        "address": "Jl. Pantai Semawang No. 16, Semawang, Sanur",
        "latitude": "-8.703560",
        "longitude": "115.263880",
        "description": _t(
            """A beachfront seafood restaurant on the Sanur promenade, with tables under sea-almond trees
            and a view of Nusa Penida. Old-school service and a loyal crowd of long-stayers."""
        ),
        "knowledge_text": _t(
            """Signatures: grilled barramundi with sambal matah (IDR 165k), garlic butter king prawns (IDR
            245k) and seafood laksa (IDR 135k). Vegetarian options include a vegan tempeh curry (IDR 95k)
            and pasta; gluten-free is straightforward on the grill menu. Kids are welcome, with kids' fish
            and chips (IDR 70k) and the beach right in front. The restaurant is step-free from the
            promenade and has an accessible toilet. Breakfast from 08:00 faces the sunrise over Nusa
            Penida. Parking for 15 cars via Jl. Danau Poso. Cards, QRIS and cash. A live keroncong band
            plays on Friday evenings."""
        ),
        "tags": ["seafood", "beachfront", "sunrise", "seniors-friendly", "wheelchair-accessible"],
        "cuisines": ["seafood", "indonesian", "european"],
        "price_level": 2,
        "average_spend": "300000.00",
        "capacity": 120,
        "opening_hours": _hours("08:00-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 20,
        "min_party_size": 1,
        "max_party_size": 16,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "9.00",
        "priority_rank": 70,
        "rating_average": "4.47",
        "rating_count": 2190,
        "phone": "+62 361 288 4417",
        "whatsapp": "+62 812 3640 4417",
        "email": "laut@rumahlaut.example",
        "website": "https://rumah-laut-seafood-sanur.example",
        "instagram": "rumahlaut.sanur",
    },
    {
        "name": "Bale Bengong Family Kitchen",
        "slug": "bale-bengong-kitchen-sanur",
        "city": "sanur",
        "category": "restaurant",
        "area": "Danau Tamblingan",
        "address": "Jl. Danau Tamblingan No. 120, Sanur",
        "latitude": "-8.692880",
        "longitude": "115.262110",
        "description": _t(
            """A family restaurant built around a playground and a koi pond, with Indonesian and Western
            comfort food. Grandparents, toddlers and everyone in between."""
        ),
        "knowledge_text": _t(
            """The fenced playground with slides and a sandpit is supervised by staff from 10:00 to 20:00,
            and a nanny can be booked for IDR 80k per hour. Kids' meals (IDR 45k to 65k) include a drink
            and an ice cream. Adult favourites: nasi goreng kampung (IDR 75k), beef burger (IDR 125k),
            grilled chicken with sambal (IDR 110k) and a vegan gado-gado (IDR 70k). Gluten-free pasta is
            available. Birthday parties for up to 20 children can be arranged with a week's notice. Free
            parking for 20 cars. Busiest at weekend lunch; weekday afternoons are calm. Cards, QRIS and
            cash; free wifi."""
        ),
        "tags": ["kids-area", "family-friendly", "playground", "birthday-parties", "comfort-food"],
        "cuisines": ["indonesian", "western"],
        "price_level": 2,
        "average_spend": "180000.00",
        "capacity": 140,
        "opening_hours": _hours("09:00-22:00"),
        "slot_minutes": 30,
        "covers_per_slot": 24,
        "min_party_size": 1,
        "max_party_size": 20,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 64,
        "rating_average": "4.43",
        "rating_count": 1764,
        "phone": "+62 361 287 5092",
        "whatsapp": "+62 813 3850 5092",
        "email": "family@balebengong.example",
        "website": "https://bale-bengong-kitchen-sanur.example",
        "instagram": "balebengong.sanur",
    },
    {
        "name": "Trattoria Nonna Ayu",
        "slug": "trattoria-nonna-ayu-sanur",
        "city": "sanur",
        "category": "restaurant",
        "area": "Danau Tamblingan",
        "address": "Jl. Danau Tamblingan No. 62, Sanur",
        "latitude": "-8.689740",
        "longitude": "115.262860",
        "description": _t(
            """An Italian-Balinese trattoria where a Roman chef and her Balinese family make pasta by hand
            every morning. Warm, noisy and very Sanur."""
        ),
        "knowledge_text": _t(
            """Pasta is made every morning: tonnarelli cacio e pepe (IDR 135k), pappardelle with
            slow-cooked beef ragù (IDR 165k) and pumpkin ravioli with sage butter (IDR 145k). Gluten-free
            pasta is made separately at no extra cost; vegan options are the pomodoro and the grilled
            vegetable antipasto. Italian wines by the glass from IDR 120k. Children are welcome and the
            kitchen will cook plain pasta for them (IDR 60k). Book ahead for Friday and Saturday dinner.
            Limited parking for 4 cars; most guests walk from the Danau Tamblingan hotels. Cards, QRIS and
            cash. No lunch service on Sundays."""
        ),
        "tags": ["italian", "handmade-pasta", "date-night", "wine", "gluten-free-options"],
        "cuisines": ["italian"],
        "price_level": 2,
        "average_spend": "280000.00",
        "capacity": 75,
        "opening_hours": _hours("12:00-15:00 18:00-22:30", sun="18:00-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "9.00",
        "priority_rank": 67,
        "rating_average": "4.64",
        "rating_count": 981,
        "phone": "+62 361 286 3318",
        "whatsapp": "+62 812 3700 3318",
        "email": "nonna@nonnaayu.example",
        "website": "https://trattoria-nonna-ayu-sanur.example",
        "instagram": "nonnaayu.sanur",
    },
    {
        "name": "Saffron Jetty",
        "slug": "saffron-jetty-sanur",
        "city": "sanur",
        "category": "restaurant",
        "area": "Sindhu",
        "address": "Jl. Pantai Sindhu No. 9, Sindhu, Sanur",
        "latitude": "-8.680340",
        "longitude": "115.264570",
        "description": _t(
            """A North and South Indian kitchen near Sindhu beach with a tandoor, a dosa station and a
            lantern-lit courtyard. One of the best vegetarian menus in Sanur."""
        ),
        "knowledge_text": _t(
            """Signatures: butter chicken (IDR 125k), lamb rogan josh (IDR 165k), masala dosa (IDR 75k) and
            tandoori prawns (IDR 185k). Half the menu is vegetarian and 20 dishes can be made vegan, using
            coconut cream instead of ghee and yoghurt. Dosas and most curries are gluten-free; naan is
            not. The kitchen is halal-certified and serves no pork, though alcohol is served. Kids are
            welcome, with a mild kids' thali (IDR 65k). The thali lunch (IDR 95k) runs on weekdays from
            11:30 to 14:30. Free delivery within Sanur for orders over IDR 250k. Parking for 6 cars on Jl.
            Pantai Sindhu. Cards, QRIS and cash."""
        ),
        "tags": ["indian", "vegetarian", "vegan-friendly", "tandoor", "halal"],
        "cuisines": ["indian"],
        "price_level": 2,
        "average_spend": "230000.00",
        "capacity": 80,
        "opening_hours": _hours("11:30-22:30"),
        "slot_minutes": 30,
        "covers_per_slot": 14,
        "min_party_size": 1,
        "max_party_size": 14,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "8.00",
        "priority_rank": 58,
        "rating_average": "4.58",
        "rating_count": 874,
        "phone": "+62 361 289 6640",
        "whatsapp": "+62 819 3640 6640",
        "email": "namaste@saffronjetty.example",
        "website": "https://saffron-jetty-sanur.example",
        "instagram": "saffronjetty",
    },
    {
        "name": "Sunrise Roastery",
        "slug": "sunrise-roastery-sanur",
        "city": "sanur",
        "category": "cafe",
        "area": "Sindhu",
        "address": "Jl. Pantai Sindhu No. 20, Sindhu, Sanur",
        "latitude": "-8.681850",
        "longitude": "115.262970",
        "description": _t(
            """A roastery café that opens at 05:30 so sunrise walkers can grab a coffee on the way to the
            beach. Roasts Bali and Java beans on a vintage drum roaster."""
        ),
        "knowledge_text": _t(
            """Opens at 05:30 every day for the sunrise crowd; the sun comes up over the beach at around
            06:10. Signatures: the Sunrise flat white with house-roasted Kintamani beans (IDR 38k), kopi
            tubruk (IDR 25k), banana pancakes (IDR 55k) and avocado-tempeh toast (IDR 65k, vegan).
            Gluten-free toast is IDR 10k extra. Kids welcome. Laptop-friendly, with fast wifi and sockets
            indoors; the porch is for coffee only at breakfast. Beans are sold in 250 g bags (IDR 95k).
            Bike racks and scooter parking; the nearest car parking is the Sindhu beach lot. Cash, QRIS
            and cards. Closes at 15:00."""
        ),
        "tags": ["sunrise", "specialty-coffee", "early-opening", "breakfast", "laptop-friendly"],
        "cuisines": ["cafe", "breakfast"],
        "price_level": 1,
        "average_spend": "90000.00",
        "capacity": 45,
        "opening_hours": _hours("05:30-15:00"),
        "slot_minutes": 30,
        "covers_per_slot": 10,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 55,
        "rating_average": "4.67",
        "rating_count": 1206,
        "phone": "+62 812 3610 2285",
        "whatsapp": "+62 812 3610 2285",
        "email": "roast@sunriseroastery.example",
        "website": "https://sunrise-roastery-sanur.example",
        "instagram": "sunriseroastery.sanur",
    },
    {
        "name": "Layang Kite Café",
        "slug": "layang-kite-cafe-sanur",
        "city": "sanur",
        "category": "cafe",
        "area": "Mertasari",
        "address": "Jl. Pantai Mertasari No. 6, Mertasari, Sanur",
        "latitude": "-8.714790",
        "longitude": "115.255890",
        "description": _t(
            """A beach-shack café beside the Mertasari kitesurf spot, with hammocks, smoothies and
            front-row views of the kites. Relaxed, sandy and good for families."""
        ),
        "knowledge_text": _t(
            """Favourites: the Layang smoothie of mango, passionfruit and coconut (IDR 45k), seafood nasi
            goreng (IDR 65k), mie goreng (IDR 50k) and a vegan buddha bowl (IDR 70k). Gluten-free is
            limited to rice dishes without kecap. Kids love the shallow lagoon at low tide and the
            hammocks; there is no fence between the café and the beach, so keep an eye on toddlers. Best
            from 13:00, when the afternoon wind brings out the kites (roughly June to September). Free
            parking beside the beach. Cash and QRIS only; no wifi. Reservations are mainly for group
            lunches after kite lessons."""
        ),
        "tags": ["beachfront", "kitesurf-view", "hammocks", "family-friendly", "smoothies"],
        "cuisines": ["cafe", "indonesian", "healthy"],
        "price_level": 1,
        "average_spend": "95000.00",
        "capacity": 60,
        "opening_hours": _hours("07:00-19:00"),
        "slot_minutes": 30,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "5.00",
        "priority_rank": 48,
        "rating_average": "4.39",
        "rating_count": 612,
        "phone": "+62 878 6012 4471",
        "whatsapp": "+62 878 6012 4471",
        "email": "layang@kitecafe.example",
        "website": "",
        "instagram": "layangkitecafe",
    },
    {
        "name": "Kebun Kecil Garden Café",
        "slug": "kebun-kecil-cafe-sanur",
        "city": "sanur",
        "category": "cafe",
        "area": "Semawang",
        "address": "Jl. Danau Poso No. 33, Semawang, Sanur",
        "latitude": "-8.704920",
        "longitude": "115.259680",
        "description": _t(
            """A garden café growing its own herbs and greens, with a farm-to-table menu and a Sunday
            farmers' market. Shaded tables under mango trees."""
        ),
        "knowledge_text": _t(
            """A vegetarian menu with many vegan dishes, using herbs and greens from the café's own garden.
            Favourites: the garden omelette (IDR 75k), roasted beetroot and cashew-feta salad (IDR 85k,
            vegan), a tempeh burger (IDR 90k) and a ginger-turmeric jamu shot (IDR 20k). Gluten-free bread
            is available. Kids are welcome, with a small sand play area under the mango trees, and dogs
            are allowed on a lead. The Sunday farmers' market runs from 08:00 to 12:00. Free wifi.
            Parking for 8 cars on Jl. Danau Poso. Cash, QRIS and cards. Closed on Mondays."""
        ),
        "tags": ["garden", "farm-to-table", "vegan-friendly", "farmers-market", "dog-friendly"],
        "cuisines": ["cafe", "healthy", "vegetarian"],
        "price_level": 2,
        "average_spend": "120000.00",
        "capacity": 65,
        "opening_hours": _hours("07:30-17:00", closed="mon", sun="08:00-14:00"),
        "slot_minutes": 30,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 21,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "7.00",
        "priority_rank": 52,
        "rating_average": "4.63",
        "rating_count": 744,
        "phone": "+62 361 282 7719",
        "whatsapp": "+62 821 4430 7719",
        "email": "grow@kebunkecil.example",
        "website": "https://kebun-kecil-cafe-sanur.example",
        "instagram": "kebunkecil.sanur",
    },
    {
        "name": "Sea Glass Beach Club",
        "slug": "sea-glass-beach-club-sanur",
        "city": "sanur",
        "category": "beach_club",
        "area": "Mertasari",
        "address": "Jl. Pantai Mertasari No. 28, Mertasari, Sanur",
        "latitude": "-8.711970",
        "longitude": "115.257330",
        "description": _t(
            """A low-key beach club on the calm Mertasari lagoon with a lap pool, shaded loungers and a
            seafood grill. Family-friendly and quiet, with sunrise yoga on the lawn."""
        ),
        "knowledge_text": _t(
            """Loungers with an umbrella have a minimum spend of IDR 300k per person, and daybeds for four
            IDR 600k in total, the lowest beach-club minimums in Sanur, with no deposit. Kids have a
            shallow splash pool, a sandpit and a free activity hour at 10:00 (shell painting and
            sandcastles). The lagoon is calm and shallow, good for paddleboarding (IDR 100k per hour).
            Free sunrise yoga on the lawn at 07:00 on Tuesday, Thursday and Saturday. Menu: grilled
            snapper (IDR 175k), chicken satay (IDR 95k) and vegan nasi campur (IDR 85k), with gluten-free
            options marked. Free parking. Cards, QRIS and cash. Quietest on weekday mornings."""
        ),
        "tags": ["family-friendly", "kids-area", "pool", "calm-water", "sunrise-yoga"],
        "cuisines": ["seafood", "international", "indonesian"],
        "price_level": 2,
        "average_spend": "300000.00",
        "capacity": 240,
        "opening_hours": _hours("07:00-21:00"),
        "slot_minutes": 60,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 30,
        "booking_window_days": 45,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": "600000.00",
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 69,
        "rating_average": "4.50",
        "rating_count": 1430,
        "phone": "+62 361 270 5530",
        "whatsapp": "+62 811 3960 5530",
        "email": "hello@seaglassclub.example",
        "website": "https://sea-glass-beach-club-sanur.example",
        "instagram": "seaglass.sanur",
    },
    {
        "name": "Lazy Jukung Bar",
        "slug": "lazy-jukung-bar-sanur",
        "city": "sanur",
        "category": "bar",
        "area": "Sindhu",
        "address": "Jl. Pantai Sindhu No. 2 (beach promenade), Sindhu, Sanur",
        "latitude": "-8.679620",
        "longitude": "115.265100",
        "description": _t(
            """A beach bar built around an old jukung fishing boat on the Sindhu promenade. Acoustic music,
            cold Bintang and a friendly crowd of regulars."""
        ),
        "knowledge_text": _t(
            """Live acoustic music from 19:30 on Tuesday, Friday and Sunday. Happy hour 16:00 to 19:00:
            large Bintang IDR 40k and arak cocktails IDR 70k. The kitchen serves fish and chips (IDR 95k),
            sate ayam (IDR 65k) and a vegan vegetable curry (IDR 70k). A big-screen TV shows Premier League
            and rugby; call ahead to reserve a table for big matches. Kids are welcome until 21:00 and the
            beach is right in front. No dress code; wet swimwear is fine on the beach deck. Parking at the
            Sindhu beach lot (IDR 5k scooter, IDR 10k car). Cash, QRIS, Visa and Mastercard. No wifi."""
        ),
        "tags": ["live-music", "beach-bar", "acoustic", "happy-hour", "sports-tv"],
        "cuisines": ["indonesian", "western"],
        "price_level": 1,
        "average_spend": "180000.00",
        "capacity": 90,
        "opening_hours": _hours("11:00-00:00"),
        "slot_minutes": 30,
        "covers_per_slot": 16,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 30,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 2,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "6.00",
        "priority_rank": 54,
        "rating_average": "4.41",
        "rating_count": 1055,
        "phone": "+62 819 3650 1128",
        "whatsapp": "+62 819 3650 1128",
        "email": "cheers@lazyjukung.example",
        "website": "",
        "instagram": "lazyjukung",
    },
    {
        "name": "Kenanga Spa & Reflexology",
        "slug": "kenanga-spa-sanur",
        "city": "sanur",
        "category": "spa",
        "area": "Danau Tamblingan",
        "address": "Jl. Danau Tamblingan No. 88, Sanur",
        "latitude": "-8.691320",
        "longitude": "115.262540",
        "description": _t(
            """A well-loved mid-range spa on Sanur's main street, with ten treatment rooms, a reflexology
            lounge and accessible facilities. Gentle treatments suited to older guests."""
        ),
        "knowledge_text": _t(
            """Treatments: 60-minute Balinese massage (IDR 250k), 60-minute foot reflexology in the lounge
            (IDR 200k), a 90-minute lymphatic drainage massage (IDR 380k) and the 2-hour Kenanga flower
            package with scrub and bath (IDR 550k). Therapists are trained for guests with limited
            mobility, and the ground-floor rooms, ramp and bathroom are wheelchair accessible. Children
            from 8 can book a 30-minute foot massage (IDR 110k). Free hotel pick-up within Sanur for
            bookings over IDR 400k. Free parking for 5 cars. Seniors get 15% off on weekdays before 13:00.
            Cards, QRIS and cash."""
        ),
        "tags": ["reflexology", "wheelchair-accessible", "seniors-friendly", "balinese-massage", "mid-range"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "350000.00",
        "capacity": 18,
        "opening_hours": _hours("09:00-21:00"),
        "slot_minutes": 30,
        "covers_per_slot": 6,
        "min_party_size": 1,
        "max_party_size": 6,
        "booking_lead_minutes": 60,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 6,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 61,
        "rating_average": "4.69",
        "rating_count": 1488,
        "phone": "+62 361 288 1906",
        "whatsapp": "+62 812 3690 1906",
        "email": "relax@kenangaspa.example",
        "website": "https://kenanga-spa-sanur.example",
        "instagram": "kenangaspa.sanur",
    },
    {
        "name": "Dawn Tide Yoga",
        "slug": "dawn-tide-yoga-sanur",
        "city": "sanur",
        "category": "wellness",
        "area": "Semawang",
        "address": "Jl. Pantai Semawang No. 4, Semawang, Sanur",
        "latitude": "-8.702210",
        "longitude": "115.264190",
        "description": _t(
            """Beachfront sunrise yoga and tai chi on the Semawang sand, plus gentle classes for seniors and
            pregnant guests in a shaded studio. Sanur's calmest start to the day."""
        ),
        "knowledge_text": _t(
            """Sunrise yoga on the beach runs daily at 06:00 (60 minutes, IDR 120k), and tai chi on Monday,
            Wednesday and Friday at 07:15 (IDR 100k). Studio classes include gentle yoga for seniors
            (Tuesday and Thursday at 09:00), prenatal yoga (Saturday at 09:00) and restorative yoga at
            17:30. A 10-class card costs IDR 1 million. Children aged 8 and over may join beach classes
            with a parent. Mats are provided; bring a towel for the sand. Herbal tea and fruit are served
            after sunrise classes. Street parking on Jl. Danau Poso. Cash, QRIS and cards. Beach classes
            move into the studio when it rains."""
        ),
        "tags": ["sunrise", "beach-yoga", "seniors-friendly", "prenatal", "tai-chi"],
        "cuisines": [],
        "price_level": 1,
        "average_spend": "120000.00",
        "capacity": 40,
        "opening_hours": _hours("06:00-19:00"),
        "slot_minutes": 60,
        "covers_per_slot": 30,
        "min_party_size": 1,
        "max_party_size": 10,
        "booking_lead_minutes": 30,
        "booking_window_days": 30,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 4,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "10.00",
        "priority_rank": 56,
        "rating_average": "4.81",
        "rating_count": 702,
        "phone": "+62 813 3760 2254",
        "whatsapp": "+62 813 3760 2254",
        "email": "sunrise@dawntide.example",
        "website": "https://dawn-tide-yoga-sanur.example",
        "instagram": "dawntideyoga",
    },
    {
        "name": "Seaside Padel Club",
        "slug": "seaside-padel-club-sanur",
        "city": "sanur",
        "category": "fitness",
        "area": "Mertasari",
        "address": "Jl. Pantai Mertasari No. 40, Mertasari, Sanur",
        "latitude": "-8.716390",
        "longitude": "115.257980",
        "description": _t(
            """Four panoramic padel courts, a small gym and a clubhouse café a short walk from Mertasari
            beach. Coaching for all levels and social americano nights."""
        ),
        "knowledge_text": _t(
            """Court hire is IDR 400k per 90 minutes off-peak (before 16:00) and IDR 550k at peak, split
            between up to four players. Racket rental IDR 50k and a tube of balls IDR 120k. Beginner
            clinics run Monday, Wednesday and Friday at 08:00 (IDR 250k per person), and the Thursday
            social americano at 19:00 is IDR 200k including a drink. Junior coaching for ages 7 to 15 on
            Saturday at 09:00. Non-marking court shoes are required and can be rented for IDR 40k. Gym day
            pass IDR 100k. The clubhouse café serves smoothies and protein bowls. Free parking for 25 cars.
            Cards and QRIS."""
        ),
        "tags": ["padel", "sports", "coaching", "social", "clubhouse"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "250000.00",
        "capacity": 60,
        "opening_hours": _hours("06:00-22:00"),
        "slot_minutes": 90,
        "covers_per_slot": 16,
        "min_party_size": 2,
        "max_party_size": 4,
        "booking_lead_minutes": 60,
        "booking_window_days": 14,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 12,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "Non-marking court shoes required",
        "referral_fee_pct": "8.00",
        "priority_rank": 57,
        "rating_average": "4.62",
        "rating_count": 486,
        "phone": "+62 812 3720 9961",
        "whatsapp": "+62 812 3720 9961",
        "email": "courts@seasidepadel.example",
        "website": "https://seaside-padel-club-sanur.example",
        "instagram": "seasidepadel.sanur",
    },
    {
        "name": "Jukung Snorkel Trips",
        "slug": "jukung-snorkel-trips-sanur",
        "city": "sanur",
        "category": "activity",
        "area": "Sindhu",
        "address": "Jl. Pantai Sindhu No. 15, Sindhu, Sanur",
        "latitude": "-8.680960",
        "longitude": "115.264030",
        "description": _t(
            """Traditional jukung outrigger boats taking small groups to snorkel Sanur's outer reef and the
            Nusa Lembongan mangroves. Family-run for three generations."""
        ),
        "knowledge_text": _t(
            """The 2-hour reef snorkel trip leaves at 08:00 and 10:00 and costs IDR 350k per adult and IDR
            200k for children aged 4 to 11, including mask, fins, life jackets and a guide in the water.
            The full-day Nusa Lembongan mangrove and reef trip is IDR 1.1 million with lunch. The water is
            calmest in the morning, and trips are rescheduled free if the sea is rough. Life jackets fit
            kids from age 4. Reef-safe sunscreen is provided on board. There is no toilet on the boat. Meet
            at the Sindhu beach stand 15 minutes before departure; parking at the Sindhu beach lot. Cash,
            QRIS or card, paid on the day."""
        ),
        "tags": ["snorkelling", "boat-trip", "family-friendly", "reef", "half-day"],
        "cuisines": [],
        "price_level": 2,
        "average_spend": "350000.00",
        "capacity": 40,
        "opening_hours": _hours("07:00-16:00"),
        "slot_minutes": 60,
        "covers_per_slot": 12,
        "min_party_size": 1,
        "max_party_size": 12,
        "booking_lead_minutes": 720,
        "booking_window_days": 60,
        "deposit_required": False,
        "deposit_amount": None,
        "cancellation_window_hours": 24,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "15.00",
        "priority_rank": 59,
        "rating_average": "4.76",
        "rating_count": 928,
        "phone": "+62 878 6090 3342",
        "whatsapp": "+62 878 6090 3342",
        "email": "boats@jukungsnorkel.example",
        "website": "https://jukung-snorkel-trips-sanur.example",
        "instagram": "jukungsnorkel",
    },
    {
        "name": "Angin Kite School",
        "slug": "angin-kite-school-sanur",
        "city": "sanur",
        "category": "activity",
        "area": "Mertasari",
        "address": "Jl. Pantai Mertasari No. 2, Mertasari, Sanur",
        "latitude": "-8.713650",
        "longitude": "115.254990",
        "description": _t(
            """A certified kitesurfing and wing-foil school on the flat, shallow Mertasari lagoon. One of the
            safest places in Bali to learn."""
        ),
        "knowledge_text": _t(
            """The main season is June to September, with trade winds from about 11:00; from October to
            March lessons depend on the forecast and are moved free of charge. A 3-hour discovery lesson
            is IDR 1.4 million, a 9-hour beginner course IDR 3.9 million and a 2-hour wing-foil intro IDR
            1.2 million, including all gear and radio helmets. Students must be 12 or older and able to
            swim. A IDR 500k deposit secures the booking and is refunded if the wind doesn't show. Gear
            rental for certified riders from IDR 650k per day. Lockers, showers and a café next door. Free
            parking. Cards, QRIS and cash."""
        ),
        "tags": ["kitesurf", "wing-foil", "lessons", "seasonal", "beginner-friendly"],
        "cuisines": [],
        "price_level": 3,
        "average_spend": "1200000.00",
        "capacity": 24,
        "opening_hours": _hours("08:00-18:00"),
        "slot_minutes": 60,
        "covers_per_slot": 6,
        "min_party_size": 1,
        "max_party_size": 4,
        "booking_lead_minutes": 1440,
        "booking_window_days": 60,
        "deposit_required": True,
        "deposit_amount": "500000.00",
        "cancellation_window_hours": 48,
        "minimum_spend": None,
        "kids_allowed": True,
        "dress_code": "",
        "referral_fee_pct": "12.00",
        "priority_rank": 58,
        "rating_average": "4.88",
        "rating_count": 402,
        "phone": "+62 812 3788 5506",
        "whatsapp": "+62 812 3788 5506",
        "email": "kite@anginschool.example",
        "website": "https://angin-kite-school-sanur.example",
        "instagram": "anginkiteschool",
    },
]


VENUES = [*_CANGGU, *_SEMINYAK, *_UBUD, *_ULUWATU, *_SANUR]


# --------------------------------------------------------------------------------------
# Demo users
# --------------------------------------------------------------------------------------

DEMO_CONSUMERS = [
    {
        "username": "maya.h",
        "display_name": "Maya Hartono",
        "email": "maya.hartono@mail.example",
        "language": "en",
        "city": "canggu",
        "plan": "plus",
    },
    {
        "username": "wayan.s",
        "display_name": "Wayan Sudarsana",
        "email": "wayan.sudarsana@mail.example",
        "language": "id",
        "city": "ubud",
        "plan": "free",
    },
    {
        "username": "dmitri.v",
        "display_name": "Dmitri Volkov",
        "email": "dmitri.volkov@mail.example",
        "language": "ru",
        "city": "uluwatu",
        "plan": "premium",
    },
    {
        "username": "chloe.b",
        "display_name": "Chloe Bennett",
        "email": "chloe.bennett@mail.example",
        "language": "en-AU",
        "city": "seminyak",
        "plan": "free",
    },
    {
        "username": "anya.s",
        "display_name": "Anya Sokolova",
        "email": "anya.sokolova@mail.example",
        "language": "ru",
        "city": "canggu",
        "plan": "plus",
    },
    {
        "username": "jake.t",
        "display_name": "Jake Thornton",
        "email": "jake.thornton@mail.example",
        "language": "en-AU",
        "city": "uluwatu",
        "plan": "plus",
    },
    {
        "username": "putu.l",
        "display_name": "Putu Ayu Lestari",
        "email": "putu.lestari@mail.example",
        "language": "id",
        "city": "sanur",
        "plan": "premium",
    },
    {
        "username": "sam.o",
        "display_name": "Sam Okafor",
        "email": "sam.okafor@mail.example",
        "language": "en",
        "city": "seminyak",
        "plan": "free",
    },
]

DEMO_OWNERS = [
    {
        "username": "ketut.a",
        "display_name": "Ketut Arsana",
        "email": "ketut@tidehouse.example",
        "owns": ["tidehouse-beach-club-canggu"],
        "role": "owner",
    },
    {
        "username": "lena.m",
        "display_name": "Lena Marchetti",
        "email": "lena@lumagroup.example",
        "owns": ["luma-trattoria-canggu", "trattoria-nonna-ayu-sanur"],
        "role": "manager",
    },
]

DEMO_USERS = [*DEMO_CONSUMERS, *DEMO_OWNERS]


# --------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------

CAPACITY_RANGES = {"cafe": (30, 80), "restaurant": (40, 160), "beach_club": (200, 900), "spa": (8, 30)}
NO_CUISINE_CATEGORIES = {"spa", "wellness", "fitness", "nightclub", "activity"}
LANGUAGES = {"en", "id", "ru", "en-AU"}
PLANS = {"free", "plus", "premium"}


def validate() -> None:
    """Assert the demo data is internally consistent; raises ``AssertionError`` on the first problem."""
    import datetime
    import re
    from decimal import Decimal, InvalidOperation

    slug_re = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    time_re = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
    tag_re = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

    def dec(value, where, places=2):
        assert isinstance(value, str), f"{where}: {value!r} should be a decimal string"
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise AssertionError(f"{where}: {value!r} is not a decimal") from None
        assert number.as_tuple().exponent == -places, f"{where}: {value!r} needs {places} decimal places"
        return number

    # Cities and areas.
    city_slugs = [c["slug"] for c in CITIES]
    assert len(city_slugs) == len(set(city_slugs)) == 5, "city slugs must be five and unique"
    assert set(AREAS) == set(city_slugs), "AREAS must have exactly one entry per city"
    for city in CITIES:
        assert set(city) == {"name", "slug", "latitude", "longitude", "description", "launched_on"}, city["slug"]
        dec(city["latitude"], city["slug"], 6)
        dec(city["longitude"], city["slug"], 6)
        launched = datetime.date.fromisoformat(city["launched_on"])
        assert launched.year in (2025, 2026), f"{city['slug']}: launched_on {launched}"
        assert AREAS[city["slug"]] and len(set(AREAS[city["slug"]])) == len(AREAS[city["slug"]])
    city_by_slug = {c["slug"]: c for c in CITIES}

    # Venues.
    assert len(VENUES) >= 66, f"need at least 66 venues, have {len(VENUES)}"
    slugs = [v["slug"] for v in VENUES]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    assert not duplicates, f"duplicate venue slugs: {sorted(duplicates)}"
    names = [v["name"] for v in VENUES]
    assert len(names) == len(set(names)), "venue names must be unique"
    assert {v["category"] for v in VENUES} == set(CATEGORIES), "every category must appear"

    for v in VENUES:
        where = v.get("slug", v.get("name"))
        assert set(v) == VENUE_KEYS, f"{where}: keys differ by {sorted(set(v) ^ VENUE_KEYS)}"
        assert slug_re.match(v["slug"]) and len(v["slug"]) <= 180, f"{where}: bad slug"
        assert v["city"] in city_by_slug, f"{where}: unknown city {v['city']!r}"
        assert v["area"] in AREAS[v["city"]], f"{where}: area {v['area']!r} not in {v['city']}"
        assert v["category"] in CATEGORIES, f"{where}: unknown category {v['category']!r}"
        assert v["address"].startswith("Jl. "), f"{where}: address should start with 'Jl. '"
        assert all(v[k].strip() for k in ("name", "address", "description", "knowledge_text")), where

        city = city_by_slug[v["city"]]
        for axis in ("latitude", "longitude"):
            offset = abs(dec(v[axis], f"{where} {axis}", 6) - Decimal(city[axis]))
            assert offset < Decimal("0.1"), f"{where}: {axis} too far from {city['name']}"

        words = len(v["knowledge_text"].split())
        assert 70 <= words <= 130, f"{where}: knowledge_text has {words} words (want 70-130)"
        assert "IDR" in v["knowledge_text"], f"{where}: knowledge_text should quote prices in IDR"

        tags = v["tags"]
        assert 3 <= len(tags) <= 7 and len(set(tags)) == len(tags), f"{where}: need 3-7 distinct tags"
        assert all(tag_re.match(t) and len(t) <= 40 for t in tags), f"{where}: tags must be lowercase slugs"
        assert all(isinstance(c, str) and c == c.lower() for c in v["cuisines"]), f"{where}: cuisines"
        if v["category"] in NO_CUISINE_CATEGORIES:
            assert v["cuisines"] == [], f"{where}: {v['category']} should have no cuisines"
        else:
            assert v["cuisines"], f"{where}: {v['category']} should list cuisines"

        assert v["price_level"] in (1, 2, 3, 4), f"{where}: price_level"
        assert dec(v["average_spend"], f"{where} average_spend") > 0
        assert isinstance(v["capacity"], int) and v["capacity"] > 0, f"{where}: capacity"
        low, high = CAPACITY_RANGES.get(v["category"], (1, 2000))
        assert low <= v["capacity"] <= high, f"{where}: capacity {v['capacity']} outside {low}-{high}"

        hours = v["opening_hours"]
        assert set(hours) == set(DAYS), f"{where}: opening_hours needs exactly {DAYS}"
        assert any(hours[d] for d in DAYS), f"{where}: never open"
        for day, intervals in hours.items():
            assert isinstance(intervals, list), f"{where} {day}: intervals must be a list"
            for interval in intervals:
                assert isinstance(interval, list) and len(interval) == 2, f"{where} {day}: {interval!r}"
                opens, closes = interval
                assert time_re.match(opens) and time_re.match(closes), f"{where} {day}: {interval!r}"
                assert opens != closes, f"{where} {day}: zero-length interval"

        assert v["slot_minutes"] in (15, 30, 60, 90), f"{where}: slot_minutes"
        assert 1 <= v["covers_per_slot"] <= v["capacity"], f"{where}: covers_per_slot > capacity"
        assert 1 <= v["min_party_size"] <= v["max_party_size"], f"{where}: party size range"
        assert v["max_party_size"] <= v["capacity"], f"{where}: max_party_size > capacity"
        assert 30 <= v["booking_lead_minutes"] <= 1440, f"{where}: booking_lead_minutes"
        assert 14 <= v["booking_window_days"] <= 90, f"{where}: booking_window_days"

        assert isinstance(v["deposit_required"], bool), f"{where}: deposit_required"
        if v["deposit_required"]:
            assert dec(v["deposit_amount"], f"{where} deposit_amount") > 0
        else:
            assert v["deposit_amount"] is None, f"{where}: deposit_amount without deposit_required"
        assert isinstance(v["cancellation_window_hours"], int) and v["cancellation_window_hours"] >= 0
        if v["minimum_spend"] is not None:
            assert dec(v["minimum_spend"], f"{where} minimum_spend") > 0
        assert isinstance(v["kids_allowed"], bool), f"{where}: kids_allowed"
        assert isinstance(v["dress_code"], str) and len(v["dress_code"]) <= 120, f"{where}: dress_code"

        fee = dec(v["referral_fee_pct"], f"{where} referral_fee_pct")
        assert Decimal("5") <= fee <= Decimal("15"), f"{where}: referral_fee_pct {fee}"
        assert isinstance(v["priority_rank"], int) and 0 <= v["priority_rank"] <= 100, f"{where}: rank"
        if v["rating_average"] is not None:
            assert Decimal("0") <= dec(v["rating_average"], f"{where} rating") <= Decimal("5")
        assert isinstance(v["rating_count"], int) and v["rating_count"] >= 0, f"{where}: rating_count"

        for key in ("phone", "whatsapp"):
            assert v[key] == "" or re.match(r"^\+62 \d{3} [\d ]+$", v[key]), f"{where}: {key}"
            assert len(v[key]) <= 32, f"{where}: {key} too long"
        assert v["phone"], f"{where}: phone required"
        assert v["email"].endswith(".example") and "@" in v["email"], f"{where}: email"
        assert v["website"] in ("", f"https://{v['slug']}.example"), f"{where}: website"
        assert v["instagram"] and not v["instagram"].startswith("@"), f"{where}: instagram"
        assert len(v["instagram"]) <= 64, f"{where}: instagram too long"

    # Users.
    assert len(DEMO_CONSUMERS) == 8 and len(DEMO_OWNERS) == 2
    assert len(DEMO_USERS) == len(DEMO_CONSUMERS) + len(DEMO_OWNERS)
    usernames = [u["username"] for u in DEMO_USERS]
    emails = [u["email"] for u in DEMO_USERS]
    assert len(set(usernames)) == len(usernames) and len(set(emails)) == len(emails), "users must be unique"
    for user in DEMO_USERS:
        assert user["email"].endswith(".example"), user["username"]
    for user in DEMO_CONSUMERS:
        assert set(user) == {"username", "display_name", "email", "language", "city", "plan"}, user["username"]
        assert user["language"] in LANGUAGES and user["plan"] in PLANS, user["username"]
        assert user["city"] in city_by_slug, user["username"]
    venue_slugs = set(slugs)
    for user in DEMO_OWNERS:
        assert set(user) == {"username", "display_name", "email", "owns", "role"}, user["username"]
        assert user["role"] in ("owner", "manager"), user["username"]
        assert 1 <= len(user["owns"]) <= 2 and set(user["owns"]) <= venue_slugs, user["username"]


if __name__ == "__main__":
    validate()
    print(f"OK: {len(CITIES)} cities, {len(VENUES)} venues, {len(DEMO_USERS)} users")
