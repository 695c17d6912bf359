"""The editors' and reviewers' admin: a guessing-resistant login and the review dashboard."""

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import UsernameField
from django.template.response import TemplateResponse
from django.urls import path

from treatments.models import LoginFailure

logger = logging.getLogger("netguide.security")


def client_address(request):
    # Behind the TLS proxy the client is the last X-Forwarded-For hop the proxy added.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (
        forwarded.split(",")[-1].strip()
        if forwarded
        else request.META.get("REMOTE_ADDR", "")
    )


class LoginThrottle:
    """Counts failed admin logins per client address and per username (database)."""

    def __init__(self, request):
        # The username exactly as the login form cleans it before authenticating
        # (strip, then NFKC), casefolded: respelling or padding it gains nothing.
        username = UsernameField().to_python(request.POST.get("username", ""))
        self.keys = [
            "addr:" + hashlib.sha256(client_address(request).encode()).hexdigest(),
            "user:" + hashlib.sha256(username.casefold().encode()).hexdigest(),
        ]

    def allows_attempt(self):
        return LoginFailure.objects.attempt(
            self.keys, settings.ADMIN_LOGIN_ATTEMPTS, settings.ADMIN_LOCKOUT_SECONDS
        )

    def reset(self):
        LoginFailure.objects.forgive(self.keys)


class NetGuideAdminSite(admin.AdminSite):
    site_header = "NET Guide editorial"
    site_title = "NET Guide editorial"
    index_title = "Treatment guide content"

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = LoginThrottle(request)
        if not throttle.allows_attempt():
            minutes = settings.ADMIN_LOCKOUT_SECONDS // 60
            return TemplateResponse(
                request,
                "admin/login_locked.html",
                {
                    **self.each_context(request),
                    "title": "Too many attempts",
                    "minutes": minutes,
                },
                status=429,
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated:
            throttle.reset()
        return response

    def get_urls(self):
        from treatments.admin_views import review_dashboard

        return [
            path("review/", self.admin_view(review_dashboard), name="review-dashboard"),
            *super().get_urls(),
        ]
