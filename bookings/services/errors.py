"""Errors the booking services raise."""

from __future__ import annotations


class BookingError(Exception):
    """A booking operation the domain rules refuse; the message is safe to show an operator."""


class BookingTransitionError(BookingError):
    """The booking state machine does not allow this move (e.g. completed → confirmed)."""


class RatingError(BookingError):
    pass


class ReminderError(BookingError):
    pass


class TransportError(BookingError):
    pass


class TransportConfirmationError(TransportError):
    """The courier may not be booked: wrong user, expired quote, or not awaiting confirmation."""
