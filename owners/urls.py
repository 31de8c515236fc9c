"""URLs of the public owner pages (/for-venues/) and the owner console (/venue/)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from owners import console, views

app_name = "owners"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("venues/<slug:slug>/", views.venue_page, name="venue"),
    path("venues/<slug:slug>/claim/", views.claim_start, name="claim_start"),
    path("propose/", views.propose, name="propose"),
    path("my/", views.home, name="home"),
    path("claims/<uuid:claim_id>/", views.claim_detail, name="claim"),
    path("claims/<uuid:claim_id>/code/send/", views.claim_code_send, name="claim_code_send"),
    path("claims/<uuid:claim_id>/code/", views.claim_code_verify, name="claim_code_verify"),
    path("claims/<uuid:claim_id>/email/", views.claim_email_send, name="claim_email_send"),
    path("claims/email/<str:token>/", views.claim_email_verify, name="claim_email_verify"),
    path("onboarding/<uuid:session_id>/", views.wizard, name="wizard"),
    path("onboarding/<uuid:session_id>/paid/", views.wizard_paid, name="wizard_paid"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify_email"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="owners/login.html", next_page=reverse_lazy("owners:home")),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("owners:landing")), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="owners/password_reset.html",
            email_template_name="owners/password_reset_email.txt",
            subject_template_name="owners/password_reset_subject.txt",
            success_url=reverse_lazy("owners:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="owners/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="owners/password_reset_confirm.html", success_url=reverse_lazy("owners:login")
        ),
        name="password_reset_confirm",
    ),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]

console_patterns = (
    [
        path("", console.index, name="index"),
        path("<uuid:venue_id>/", console.dashboard, name="dashboard"),
        path("<uuid:venue_id>/diary/", console.diary, name="diary"),
        path("<uuid:venue_id>/bookings/new/", console.booking_new, name="booking_new"),
        path("<uuid:venue_id>/bookings/<uuid:booking_id>/approve/", console.booking_approve, name="approve"),
        path("<uuid:venue_id>/bookings/<uuid:booking_id>/decline/", console.booking_decline, name="decline"),
        path("<uuid:venue_id>/bookings/<uuid:booking_id>/counter/", console.booking_counter, name="counter"),
        path("<uuid:venue_id>/bookings/<uuid:booking_id>/cancel/", console.booking_cancel, name="cancel"),
        path("<uuid:venue_id>/bookings/<uuid:booking_id>/move/", console.booking_move, name="move"),
        path("<uuid:venue_id>/billing/portal/", console.billing_portal, name="billing_portal"),
        path("<uuid:venue_id>/team/", console.team, name="team"),
        path("invitations/<str:token>/", console.invite_accept, name="invite_accept"),
    ],
    "console",
)
