"""Forms of the public owner pages: each refuses bad input with a message next to the field."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

from venues.hours import WEEKDAYS, day_errors, minutes_of, normalise
from venues.models import City, ClaimVerificationMethod, Venue, VenueCategory, VenueRole

MAX_PROOF_BYTES = 5 * 1024 * 1024
MAX_MENU_BYTES = 10 * 1024 * 1024
RANGES_PER_DAY = 3
# What an upload really is, from its first bytes (never from its name or Content-Type).
_MAGIC = {
    b"%PDF-": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
}


def sniff(upload) -> str:
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return ""


def check_upload(upload, *, kinds: set[str], max_bytes: int, what: str) -> None:
    if upload.size > max_bytes:
        raise forms.ValidationError(f"{what} is over the {max_bytes // (1024 * 1024)} MB limit.")
    kind = sniff(upload)
    if kind not in kinds:
        names = " or ".join(sorted(k.upper() for k in kinds))
        raise forms.ValidationError(f"This file is not a {names} (whatever its name says).")


class SignUpForm(forms.Form):
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        User = get_user_model()
        if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail exists; log in or reset the password.")
        return email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            try:
                validate_password(data["password"], get_user_model()(username=data.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ClaimForm(forms.Form):
    role = forms.ChoiceField(choices=VenueRole.choices, initial=VenueRole.OWNER)
    business_name = forms.CharField(max_length=160, required=False, label="Business (legal) name")
    contact_name = forms.CharField(max_length=120, label="Your name")
    contact_phone = forms.CharField(max_length=32, required=False, label="Your phone")
    verification_method = forms.ChoiceField(
        label="How should we verify you?",
        choices=[
            (ClaimVerificationMethod.WHATSAPP, "A code sent to the venue's listed phone (WhatsApp)"),
            (ClaimVerificationMethod.EMAIL_DOMAIN, "A link sent to an address on the venue's website domain"),
            (ClaimVerificationMethod.DOCUMENT, "Our team reviews a document (business licence, lease)"),
        ],
    )
    proof_document = forms.FileField(required=False, label="Proof document (PDF or image, up to 5 MB)")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Anything we should know")

    def clean_proof_document(self):
        upload = self.cleaned_data.get("proof_document")
        if upload:
            check_upload(upload, kinds={"pdf", "png", "jpeg", "webp"}, max_bytes=MAX_PROOF_BYTES, what="The document")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("verification_method") == ClaimVerificationMethod.DOCUMENT and not data.get("proof_document"):
            if "proof_document" not in self.errors:
                self.add_error("proof_document", "Attach the document our team should review.")
        return data


class CodeForm(forms.Form):
    code = forms.RegexField(regex=r"^\s*\d{6}\s*$", label="6-digit code", error_messages={"invalid": "Six digits."})


class EmailLinkForm(forms.Form):
    email = forms.EmailField(label="An address on the venue's website domain")


class ProposeForm(forms.Form):
    name = forms.CharField(max_length=160)
    city = forms.ModelChoiceField(queryset=City.objects.filter(is_active=True))
    area = forms.CharField(max_length=80, required=False)
    category = forms.ChoiceField(choices=VenueCategory.choices)
    website = forms.URLField(required=False)
    phone = forms.CharField(max_length=32, required=False)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = ["name", "description", "category", "area", "address", "phone", "whatsapp", "email", "website"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class HoursForm(forms.Form):
    """Opening hours as rows of days (up to three ranges each, or closed) plus capacity and pacing."""

    capacity = forms.IntegerField(min_value=1, max_value=5000, help_text="Guests seated at once.")
    covers_per_slot = forms.IntegerField(min_value=1, max_value=1000, help_text="Guests who may arrive per slot.")
    slot_minutes = forms.TypedChoiceField(coerce=int, choices=[(15, "15 min"), (30, "30 min"), (60, "60 min")])
    blackout_dates = forms.CharField(
        required=False, help_text="Days you take no bookings, YYYY-MM-DD, separated by commas."
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.days = []
        for key, name in WEEKDAYS:
            self.fields[f"{key}_closed"] = forms.BooleanField(required=False, label="Closed")
            ranges = []
            for i in range(RANGES_PER_DAY):
                opens = forms.CharField(required=False, max_length=5, widget=forms.TimeInput(attrs={"type": "time"}))
                closes = forms.CharField(required=False, max_length=5, widget=forms.TimeInput(attrs={"type": "time"}))
                self.fields[f"{key}_{i}_opens"] = opens
                self.fields[f"{key}_{i}_closes"] = closes
                ranges.append((f"{key}_{i}_opens", f"{key}_{i}_closes"))
            self.days.append((key, name, ranges))

    @staticmethod
    def initial_for(venue: Venue) -> dict:
        initial = {
            "capacity": venue.capacity,
            "covers_per_slot": venue.covers_per_slot,
            "slot_minutes": venue.slot_minutes,
            "blackout_dates": ", ".join(d.isoformat() for d in venue.blackout_dates or []),
        }
        hours = venue.opening_hours if isinstance(venue.opening_hours, dict) else {}
        for key, _ in WEEKDAYS:
            ranges = hours.get(key)
            if isinstance(ranges, list) and not ranges and key in hours:
                initial[f"{key}_closed"] = True
            for i, entry in enumerate(ranges if isinstance(ranges, list) else []):
                if i < RANGES_PER_DAY and isinstance(entry, (list, tuple)) and len(entry) == 2:
                    initial[f"{key}_{i}_opens"], initial[f"{key}_{i}_closes"] = entry
        return initial

    def bound_days(self):
        return [
            (key, name, self[f"{key}_closed"], [(self[o], self[c]) for o, c in ranges])
            for key, name, ranges in self.days
        ]

    def clean_blackout_dates(self) -> list[date]:
        raw = self.cleaned_data.get("blackout_dates") or ""
        result = []
        for part in [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]:
            try:
                day = date.fromisoformat(part)
            except ValueError:
                raise forms.ValidationError(f"{part!r} is not a date like 2026-12-24.") from None
            if day < self.today:
                raise forms.ValidationError(f"{part} is in the past.")
            result.append(day)
        return sorted(set(result))

    def clean(self):
        data = super().clean()
        hours: dict[str, list[list[str]]] = {}
        for key, name, ranges in self.days:
            closed = data.get(f"{key}_closed")
            filled = []
            for o, c in ranges:
                opens, closes = (data.get(o) or "").strip()[:5], (data.get(c) or "").strip()[:5]
                if not opens and not closes:
                    continue
                if not opens or not closes:
                    self.add_error(o if not opens else c, "Give both the opening and the closing time.")
                    continue
                if minutes_of(opens) is None or minutes_of(closes) is None:
                    self.add_error(o, "Use times like 12:00.")
                    continue
                filled.append([opens, closes])
            if closed and filled:
                self.add_error(f"{key}_closed", f"{name} is marked closed but has hours; clear one of them.")
                continue
            if not closed and not filled:
                self.add_error(f"{key}_closed", f"Give {name}'s hours or tick closed.")
                continue
            problems = day_errors(key, filled)
            if problems:
                self.add_error(f"{key}_closed", problems)
                continue
            hours[key] = filled
        data["opening_hours"] = normalise(hours)
        return data


class PolicyForm(forms.Form):
    """The booking policy: the same data the venue's public policy card publishes."""

    min_party_size = forms.IntegerField(min_value=1, max_value=500)
    max_party_size = forms.IntegerField(min_value=1, max_value=500)
    booking_lead_minutes = forms.IntegerField(min_value=0, max_value=7 * 24 * 60, label="Book at least (minutes ahead)")
    booking_window_days = forms.IntegerField(min_value=1, max_value=365, label="Book at most (days ahead)")
    booking_duration_minutes = forms.IntegerField(min_value=15, max_value=24 * 60, label="Table held for (minutes)")
    auto_accept = forms.BooleanField(required=False, label="The venue agent confirms free tables on its own")
    owner_approval_above_party_size = forms.IntegerField(
        required=False, min_value=1, max_value=500, label="Ask me first for parties larger than"
    )
    deposit_required = forms.BooleanField(required=False)
    deposit_amount = forms.DecimalField(required=False, min_value=0, max_digits=10, decimal_places=2)
    cancellation_window_hours = forms.IntegerField(min_value=0, max_value=24 * 14)
    kids_allowed = forms.BooleanField(required=False)
    dress_code = forms.CharField(required=False, max_length=120)

    def clean(self):
        data = super().clean()
        low, high = data.get("min_party_size"), data.get("max_party_size")
        if low and high and low > high:
            self.add_error("min_party_size", "The smallest party cannot be larger than the largest.")
        if data.get("deposit_required") and not data.get("deposit_amount"):
            self.add_error("deposit_amount", "Say how much the deposit is.")
        return data


class KnowledgeForm(forms.Form):
    menu_pdf = forms.FileField(required=False, label="Menu (PDF, up to 10 MB)")
    url = forms.URLField(required=False, label="A page about the venue (menu, website)")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Or paste text")

    def clean_menu_pdf(self):
        upload = self.cleaned_data.get("menu_pdf")
        if upload:
            check_upload(upload, kinds={"pdf"}, max_bytes=MAX_MENU_BYTES, what="The menu")
        return upload


class PlanForm(forms.Form):
    plan = forms.ChoiceField(
        choices=[("free", "Free — listing, venue agent, bookings"), ("venue_pro", "Venue Pro — billed monthly")],
        widget=forms.RadioSelect,
        initial="venue_pro",
    )


class PhoneBookingForm(forms.Form):
    contact_name = forms.CharField(max_length=120, label="Guest name")
    contact_phone = forms.CharField(max_length=32, required=False, label="Guest phone")
    party_size = forms.IntegerField(min_value=1, max_value=500)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    special_requests = forms.CharField(required=False, max_length=500)


class MoveForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))


class CounterForm(forms.Form):
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Offer instead")


class InviteForm(forms.Form):
    email = forms.EmailField(label="Their e-mail")
    role = forms.ChoiceField(choices=[(VenueRole.MANAGER, "Manager"), (VenueRole.STAFF, "Staff (host stand)")])
