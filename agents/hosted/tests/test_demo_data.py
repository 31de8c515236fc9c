"""The seeded demo agents work with the offline LLM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.hosted.demo import seed_hosted_demo
from agents.hosted.models import DemoApp, Deployment
from agents.hosted.state import RunStatus
from agents.hosted.tests.conftest import run_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]


def test_the_demo_agents_are_deployed_and_the_itinerary_runs_through_the_other_two(owner):
    from agents.tests.test_venue_agent import make_test_venue

    venue = make_test_venue(category="restaurant", tags=["romantic"])
    assert seed_hosted_demo(owner=owner) == 4
    assert seed_hosted_demo(owner=owner) == 0  # idempotent
    assert DemoApp.objects.get(slug="date-night").is_public
    itinerary = Deployment.objects.get(friendly_name="evening-itinerary")
    day = (timezone.localdate() + timedelta(days=3)).isoformat()

    run = run_now(itinerary, {"city": venue.city.slug, "date": day, "allergen": "peanut"}, payer=owner)

    assert run.status == RunStatus.SUCCEEDED, (run.error_code, run.error)
    plan, allergens = run.output["steps"]
    assert plan["venue"] == venue.slug and plan["note"].startswith("(offline model)")
    assert allergens["venue"] == venue.slug and allergens["allergen"] == "peanut"
    assert run.children.count() == 2
