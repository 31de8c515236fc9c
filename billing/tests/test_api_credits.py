"""/api/credits: my balance from the ledger and my transactions, paginated; nobody else's."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt.tests.api import bearer_client
from billing.services.credits import credit_grant, credit_spend

pytestmark = pytest.mark.django_db


def test_a_user_sees_their_balance_and_their_ledger_newest_first():
    me, other = baker.make("agnt.User"), baker.make("agnt.User")
    for n in range(3):
        credit_grant(user=me, amount=10, reason=f"grant {n}")
    credit_grant(user=other, amount=999, reason="not mine")
    api = bearer_client(me)

    assert api.get(reverse("api-credits")).json() == {"balance": 30}
    page = api.get(reverse("api-credit-transactions"), {"page_size": 2}).json()
    assert page["count"] == 3 and [row["reason"] for row in page["results"]] == ["grant 2", "grant 1"]
    assert page["results"][0]["balance_after"] == 30
    assert page["next"] is not None
    rest = api.get(page["next"]).json()
    assert [row["reason"] for row in rest["results"]] == ["grant 0"]


def test_the_ledger_filters_by_kind_and_refuses_unknown_kinds():
    me = baker.make("agnt.User")
    credit_grant(user=me, amount=10, reason="welcome")
    credit_spend(user=me, amount=4, reason="booking fee")
    api = bearer_client(me)

    spent = api.get(reverse("api-credit-transactions"), {"kind": "spend"}).json()
    assert [(row["amount"], row["kind"]) for row in spent["results"]] == [(-4, "spend")]
    bad = api.get(reverse("api-credit-transactions"), {"kind": "free-money"})
    assert bad.status_code == 400 and "kind" in bad.json()
