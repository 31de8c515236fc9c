import pytest
from django.db import IntegrityError, transaction

from venues import services
from venues.models import UserList
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="ketut", password="pw-ketut-123!")


def test_venues_are_appended_in_order_and_adding_twice_only_updates_the_note(user):
    lst = services.user_list_create(user=user, name="Sunset spots")
    a, b = make_venue(), make_venue()
    services.user_list_add_venue(user_list=lst, venue=a)
    services.user_list_add_venue(user_list=lst, venue=b, note="go at 6")
    again = services.user_list_add_venue(user_list=lst, venue=a, note="best fries")

    assert [(i.venue_id, i.position) for i in lst.items.order_by("position")] == [(a.pk, 0), (b.pk, 1)]
    assert again.note == "best fries" and lst.items.count() == 2


def test_removing_a_venue_reports_whether_it_was_there(user):
    lst = services.user_list_create(user=user, name="Try")
    venue = make_venue()
    services.user_list_add_venue(user_list=lst, venue=venue)
    assert services.user_list_remove_venue(user_list=lst, venue=venue) is True
    assert services.user_list_remove_venue(user_list=lst, venue=venue) is False


def test_slugs_stay_unique_per_user(user):
    first = services.user_list_create(user=user, name="Date night")
    second = services.user_list_create(user=user, name="Date Night")
    assert (first.slug, second.slug) == ("date-night", "date-night-2")


def test_each_user_has_one_wishlist_created_on_first_use(user):
    wishlist = services.user_list_get_builtin(user=user, kind="wishlist")
    assert services.user_list_get_builtin(user=user, kind="wishlist").pk == wishlist.pk
    with pytest.raises(IntegrityError, match="user_list_one_builtin_per_kind"), transaction.atomic():
        UserList.objects.create(user=user, name="Another", slug="another", kind="wishlist")
