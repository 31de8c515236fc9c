"""The CRM's periodic jobs: thin wrappers around one service each (crm.services)."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from agnt.scheduling import periodic_job
from crm import services


@periodic_job(name="crm_contact_sync", schedule=crontab(minute=20), queue="crm")
@shared_task(name="crm.crm_contact_sync")
def crm_contact_sync() -> int:
    """Every guest who booked a venue is a contact of that venue, with visits, no-shows and allergies shared:
    guests with an account by account, phone and walk-in guests by phone number."""
    return services.crm_contacts_sync_from_bookings()


@periodic_job(name="stale_deal_reminders", schedule=crontab(minute=0, hour=1), queue="crm")
@shared_task(name="crm.stale_deal_reminders")
def stale_deal_reminders() -> int:
    """Tell each deal owner once when an open deal has not moved stage for 14 days."""
    return services.crm_deals_remind_stale()
