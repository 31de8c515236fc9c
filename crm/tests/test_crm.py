"""CRM services and database rules: the deal pipeline, the timeline, notes, contacts."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from crm import selectors, services
from crm.models import CrmActivity, CrmContact, CrmDeal, CrmNote
from crm.services import CrmError, InvalidStageChange
from venues.tests.factories import make_venue


@pytest.fixture
def venue(db):
    return make_venue(name="Warung Biru")


@pytest.fixture
def contact(venue):
    return services.crm_contact_create(
        venue=venue,
        full_name="Wayan Sutra",
        email=" Wayan@Example.COM ",
        company="Villa Sutra",
        tags=["Events", "events", " corporate "],
    )


@pytest.fixture
def deal(contact, staff_user):
    return services.crm_deal_create(
        contact=contact, title="Company retreat dinner", value=Decimal("15000000"), actor=staff_user
    )


@pytest.mark.django_db
def test_a_new_contact_has_a_normalised_email_and_tags(contact):
    assert (contact.email, contact.tags) == ("wayan@example.com", ["events", "corporate"])


@pytest.mark.django_db
def test_an_email_is_unique_within_one_crm_but_not_across_crms(contact, venue):
    with pytest.raises(CrmError):
        services.crm_contact_create(venue=venue, full_name="Dup", email="WAYAN@example.com")
    services.crm_contact_create(venue=make_venue(), full_name="Other venue", email="wayan@example.com")
    services.crm_contact_create(venue=None, full_name="Platform", email="wayan@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmContact.objects.create(venue=None, full_name="Platform twin", email="wayan@example.com")


@pytest.mark.django_db
def test_the_database_rejects_a_mixed_case_email_and_an_unknown_stage(venue):
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmContact.objects.create(venue=venue, full_name="X", email="Mixed@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmContact.objects.create(venue=venue, full_name="X", lifecycle_stage="vip")


@pytest.mark.django_db
def test_a_new_deal_starts_as_a_lead_in_its_contacts_crm_with_a_timeline_entry(deal, contact, venue, staff_user):
    assert (deal.stage, deal.venue, deal.closed_at) == ("lead", venue, None)
    opened = deal.activities.get()
    assert (opened.kind, opened.data, opened.actor, opened.contact) == (
        "stage_change",
        {"from": "", "to": "lead"},
        staff_user,
        contact,
    )


@pytest.mark.django_db
def test_moving_a_deal_writes_a_stage_change_activity(deal, staff_user):
    services.crm_deal_move_stage(deal=deal, to_stage="proposal", actor=staff_user)
    deal.refresh_from_db()
    assert deal.stage == "proposal"
    moved = deal.activities.get(data__to="proposal")
    assert (moved.data, moved.actor, moved.subject, moved.completed_at is not None) == (
        {"from": "lead", "to": "proposal"},
        staff_user,
        "Stage: Lead → Proposal",
        True,
    )


@pytest.mark.django_db
def test_it_refuses_a_move_the_pipeline_forbids_and_logs_nothing(deal, staff_user):
    with pytest.raises(InvalidStageChange):
        services.crm_deal_move_stage(deal=deal, to_stage="won", actor=staff_user)  # no proposal yet
    deal.refresh_from_db()
    assert deal.stage == "lead"
    assert deal.activities.count() == 1


@pytest.mark.django_db
def test_winning_closes_the_deal_for_good_and_makes_the_contact_a_customer(deal, contact, staff_user):
    services.crm_deal_move_stage(deal=deal, to_stage="proposal", actor=staff_user)
    won = services.crm_deal_move_stage(deal=deal, to_stage="won", actor=staff_user)
    contact.refresh_from_db()
    assert won.closed_at is not None and contact.lifecycle_stage == "customer"
    for target in ("lead", "lost", "negotiation"):
        with pytest.raises(InvalidStageChange):
            services.crm_deal_move_stage(deal=won, to_stage=target, actor=staff_user)


@pytest.mark.django_db
def test_a_lost_deal_keeps_its_reason_and_can_be_reopened_as_a_lead(deal, staff_user):
    lost = services.crm_deal_move_stage(
        deal=deal, to_stage="lost", actor=staff_user, lost_reason="went with a competitor"
    )
    assert (lost.lost_reason, lost.closed_at is not None) == ("went with a competitor", True)
    reopened = services.crm_deal_move_stage(deal=lost, to_stage="lead", actor=staff_user)
    assert (reopened.stage, reopened.closed_at, reopened.lost_reason) == ("lead", None, "")
    assert list(deal.activities.order_by("created_at", "id").values_list("data__to", flat=True)) == [
        "lead",
        "lost",
        "lead",
    ]


@pytest.mark.django_db
def test_the_database_refuses_stage_moves_the_pipeline_forbids(contact):
    won = baker.make(CrmDeal, contact=contact, venue=contact.venue, stage="won", closed_at="2026-01-01T00:00Z")
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmDeal.objects.filter(pk=won.pk).update(stage="negotiation", closed_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmDeal.objects.filter(pk=won.pk).update(stage="teleported")


@pytest.mark.django_db
def test_the_database_refuses_a_closed_deal_without_a_close_time(contact):
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmDeal.objects.create(contact=contact, title="x", stage="lost")


@pytest.mark.django_db
def test_a_note_needs_a_contact_or_a_deal(contact, deal, staff_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmNote.objects.create(body="orphan")
    with pytest.raises(CrmError):
        services.crm_note_add(author=staff_user, body="orphan")
    note = services.crm_note_add(author=staff_user, body="Prefers the garden terrace", deal=deal, pinned=True)
    assert (note.contact, note.deal, note.pinned) == (contact, deal, True)


@pytest.mark.django_db
def test_a_note_cannot_name_a_deal_of_another_contact(deal, venue, staff_user):
    stranger = services.crm_contact_create(venue=venue, full_name="Stranger")
    with pytest.raises(CrmError):
        services.crm_note_add(author=staff_user, body="x", contact=stranger, deal=deal)


@pytest.mark.django_db
def test_completing_a_planned_call_counts_as_contacting_the_person(contact, staff_user):
    planned = services.crm_activity_log(
        kind="call", actor=staff_user, contact=contact, subject="Follow up", due_at="2030-01-01T09:00Z"
    )
    contact.refresh_from_db()
    assert planned.completed_at is None and contact.last_contacted_at is None
    done = services.crm_activity_complete(activity=planned, actor=staff_user)
    contact.refresh_from_db()
    assert contact.last_contacted_at == done.completed_at
    assert services.crm_activity_complete(activity=planned).completed_at == done.completed_at


@pytest.mark.django_db
def test_a_task_does_not_count_as_contact_and_stage_changes_cannot_be_typed_in(contact, deal, staff_user):
    services.crm_activity_log(kind="task", actor=staff_user, contact=contact, subject="Prepare menu")
    contact.refresh_from_db()
    assert contact.last_contacted_at is None
    with pytest.raises(CrmError):
        services.crm_activity_log(kind="stage_change", actor=staff_user, deal=deal, subject="won!")
    with pytest.raises(IntegrityError), transaction.atomic():
        CrmActivity.objects.create(kind="stage_change", contact=contact, subject="no deal")


@pytest.mark.django_db
def test_stale_open_deals_are_found_for_reminders(deal, staff_user):
    import datetime as dt

    from django.utils import timezone

    CrmDeal.objects.filter(pk=deal.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=20))
    fresh = services.crm_deal_create(contact=deal.contact, title="Fresh", actor=staff_user)
    assert list(selectors.deals_stale(older_than=dt.timedelta(days=14))) == [deal]
    assert fresh not in selectors.deals_stale()
