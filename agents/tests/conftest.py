"""Fixtures shared by the agents tests (modules with a venue of their own override ``venue``)."""

import pytest

from agents.tests.test_venue_agent import make_test_venue


@pytest.fixture
def venue():
    """A venue open 18:00–22:00 every day with a diary of 10 covers per slot (make_test_venue)."""
    return make_test_venue()


@pytest.fixture
def developer(django_user_model):
    """The owner of the API keys an external developer agent uses."""
    return django_user_model.objects.create_user(username="dev", password="x")
