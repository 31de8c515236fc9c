from django.apps import AppConfig


class OwnersConfig(AppConfig):
    """The venue owners' pages: the public /for-venues/ pages and the owner console at /venue/.

    A product surface on top of the domain layers: its views call services of venues,
    bookings, billing, knowledge, agents and messaging. It has no models.
    """

    name = "owners"
    verbose_name = "Venue owner pages"
