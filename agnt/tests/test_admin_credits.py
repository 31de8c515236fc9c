"""Staff adjust a user's credits from the admin through the credit service (locked, ledgered)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from model_bakery import baker

from agnt.models import User
from agnt.roles import SUPPORT
from billing.models import CreditTransaction


@pytest.fixture
def member(db):
    return baker.make(User, username="ketut", credits=0)


def _url(user):
    return reverse("admin:agnt_user_adjust_credits", args=[user.pk])


def test_a_superuser_adds_credits_and_the_ledger_records_who_and_why(staff_client, staff_user, member):
    assert staff_client.get(_url(member)).status_code == 200
    response = staff_client.post(_url(member), {"amount": 40, "reason": "Goodwill after a failed booking"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.credits == 40
    entry = CreditTransaction.objects.get(user=member)
    assert (entry.amount, entry.balance_after, entry.kind, entry.created_by) == (40, 40, "adjustment", staff_user)


def test_an_adjustment_that_would_go_negative_is_refused_with_a_form_error(staff_client, member):
    response = staff_client.post(_url(member), {"amount": -5, "reason": "Clawback"})
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    member.refresh_from_db()
    assert member.credits == 0 and not CreditTransaction.objects.exists()


def test_support_staff_cannot_adjust_credits(client, member):
    agent = baker.make(User, username="support", is_staff=True)
    agent.groups.add(Group.objects.get_or_create(name=SUPPORT)[0])
    client.force_login(agent)
    assert client.post(_url(member), {"amount": 10, "reason": "x"}).status_code in {302, 403}
    member.refresh_from_db()
    assert member.credits == 0
