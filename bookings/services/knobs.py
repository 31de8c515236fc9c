"""The lifecycle knobs: optional settings whose defaults are the product's rules."""

from django.conf import settings as django_settings


def lifecycle_setting(name: str, default):
    """Lifecycle knobs (all optional in settings; the defaults are the product's rules)."""
    return getattr(django_settings, name, default)
