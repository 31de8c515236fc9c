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


def _perm(codename: str):
    return lambda request: request.user.has_perm(codename)


def _admin(title: str, icon: str, app: str, model: str) -> dict:
    return {
        "title": _(title),
        "icon": icon,
        "link": reverse_lazy(f"admin:{app}_{model}_changelist"),
        "permission": _perm(f"{app}.view_{model}"),
    }


def sidebar_navigation(request) -> list[dict]:
    """Venue owners and hosted-agent owners get a sidebar in their own words (each the part
    their permissions open); staff get their own navigation and every application."""
    from agnt.roles import is_platform_staff

    if is_platform_staff(request.user):
        return staff_navigation()
    sections = []
    if request.user.has_perm("bookings.view_venuebooking"):
        sections += _venue_owner_sections()
    if request.user.has_perm("agents.view_hostedagent"):
        sections.append(
            {
                "title": _("Your hosted agents"),
                "items": [
                    _admin("Agents", "smart_toy", "agents", "hostedagent"),
                    _admin("Deployments", "rocket_launch", "agents", "deployment"),
                    _admin("Runs", "play_circle", "agents", "agentrun"),
                    _admin("Demo pages", "web", "agents", "demoapp"),
                    _admin("Usage", "receipt_long", "agents", "usageentry"),
                    _admin("Allowance", "savings", "agents", "allowance"),
                    _admin("Provider keys", "key", "agents", "providerkey"),
                ],
            }
        )
    return sections


def _venue_owner_sections() -> list[dict]:
    return [
        {
            "title": _("Your venue"),
            "items": [
                {"title": _("Today and diary"), "icon": "calendar_today", "link": "/venue/"},
                _admin("Bookings", "event_seat", "bookings", "venuebooking"),
                _admin("Guests", "groups", "crm", "crmcontact"),
                _admin("Reviews", "star", "bookings", "bookingrating"),
                _admin("Profile, hours and policy", "storefront", "venues", "venue"),
                _admin("What your agent knows", "menu_book", "knowledge", "venueknowledgesource"),
                _admin("Venue agent", "smart_toy", "agents", "agent"),
                _admin("Set-up progress", "checklist", "venues", "b2bonboardingsession"),
            ],
        },
        {
            "title": _("Money"),
            "items": [
                _admin("Invoices", "receipt_long", "billing", "accountingdocument"),
                _admin("Booking fees", "payments", "billing", "commerceledger"),
                _admin("Plan", "workspace_premium", "billing", "stripesubscription"),
            ],
        },
    ]


def staff_navigation() -> list[dict]:
    """Staff start from the venues and their bookings (most of the day's work), then the
    venue-owner pipeline, guests and money; every other model stays under "All applications".
    Each link shows only to someone allowed to view that model."""
    return [
        {
            "title": _("Venues and bookings"),
            "items": [
                _admin("Venues", "storefront", "venues", "venue"),
                _admin("Bookings", "event_seat", "bookings", "venuebooking"),
                _admin("Reviews", "star", "bookings", "bookingrating"),
                _admin("Waitlist", "hourglass_top", "bookings", "waitlistentry"),
            ],
        },
        {
            "title": _("Venue owners"),
            "items": [
                _admin("Claims queue", "verified_user", "venues", "venueclaim"),
                _admin("Onboarding", "checklist", "venues", "b2bonboardingsession"),
                _admin("CRM contacts", "groups", "crm", "crmcontact"),
                _admin("CRM deals", "handshake", "crm", "crmdeal"),
            ],
        },
        {
            "title": _("Money"),
            "items": [
                _admin("Commerce ledger", "payments", "billing", "commerceledger"),
                _admin("Credit ledger", "toll", "billing", "credittransaction"),
                _admin("API usage ledger", "data_usage", "billing", "apikeyusageevent"),
                _admin("Invoices", "receipt_long", "billing", "accountingdocument"),
            ],
        },
    ]


def sidebar_show_all_applications(request) -> bool:
    from agnt.roles import is_platform_staff

    return is_platform_staff(request.user)


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
        "show_all_applications": sidebar_show_all_applications,
        "navigation": sidebar_navigation,
    },
}
