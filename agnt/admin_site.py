"""Back-office (django-unfold) configuration: branding, navigation, dashboard."""

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


def _link(title: str, icon: str, app: str, model: str) -> dict:
    return {
        "title": _(title),
        "icon": icon,
        "link": reverse_lazy(f"admin:{app}_{model}_changelist"),
        "permission": f"agnt.admin_site.can_view_{app}_{model}",
    }


UNFOLD = {
    "SITE_TITLE": "AGNT back office",
    "SITE_HEADER": "AGNT",
    "SITE_SUBHEADER": "Agent network for Bali's venues",
    "SITE_SYMBOL": "hub",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "agnt.admin_dashboard.dashboard_callback",
    "ENVIRONMENT": "agnt.admin_dashboard.environment_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
    },
}
