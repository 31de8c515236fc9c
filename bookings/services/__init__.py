"""Write-side operations of bookings, one module per sub-domain.

booking (requests and the state machine), ratings, reminders (the user's own),
transport (courier), lifecycle (reminder/rating sends and the batch jobs), waitlist,
reliability (no-show strikes); errors and knobs are shared. Callers import from
``bookings.services``; the package re-exports every public name.

Every status change goes through one ``*_transition`` function per entity: it locks the
row, checks the state machine in bookings.state, stamps the matching timestamp, saves
with ``update_fields`` and writes the event row. The database re-checks the transition
with a trigger, so a bug here fails loudly instead of corrupting a booking.
"""

from bookings.services.booking import (  # noqa: F401
    BOOKABLE_VENUE_STATUSES,
    BOOKING_MOVED,
    REF_ALPHABET,
    REF_LENGTH,
    booking_cancel,
    booking_check_request,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_generate_external_ref,
    booking_mark_no_show,
    booking_reject,
    booking_reschedule,
    booking_transition,
)
from bookings.services.errors import (  # noqa: F401
    BookingError,
    BookingTransitionError,
    RatingError,
    ReminderError,
    TransportConfirmationError,
    TransportError,
)
from bookings.services.knobs import (  # noqa: F401
    lifecycle_setting,
)
from bookings.services.lifecycle import (  # noqa: F401
    ATTENDANCE_CONFIRMED,
    RATING_REQUEST_LOCAL_HOURS,
    REMINDER_LEADS,
    REMINDER_MIN_NOTICE_EXTRA,
    booking_attendance_confirm,
    booking_rating_request_send,
    booking_reminder_send,
    booking_reminders_send_due,
    bookings_complete_past,
    bookings_expire_stale,
    rating_requests_send_due,
)
from bookings.services.ratings import (  # noqa: F401
    RATING_SUBSCORES,
    booking_rate,
    booking_rating_reply,
    venue_refresh_rating,
)
from bookings.services.reliability import (  # noqa: F401
    guest_reliability_recompute,
    guest_reliability_recompute_all,
    no_show_strike_threshold,
    no_show_window_days,
)
from bookings.services.reminders import (  # noqa: F401
    REMINDER_MAX_ATTEMPTS,
    reminder_cancel,
    reminder_create,
    reminder_mark_sent,
    reminder_record_failure,
)
from bookings.services.transport import (  # noqa: F401
    transport_cancel,
    transport_confirm,
    transport_quote_record,
    transport_transition,
)
from bookings.services.waitlist import (  # noqa: F401
    WaitlistError,
    waitlist_expire_past,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_for_cancellation,
    waitlist_promote_due,
)
