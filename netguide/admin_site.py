"""The editors' and reviewers' admin: a guessing-resistant login and the review dashboard."""

import hashlib
import logging
import unicodedata

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.template.response import TemplateResponse
from django.urls import path

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
    """Counts failed admin logins per client address and per username in the cache."""

    def __init__(self, request):
        # The same normalisation the login form applies, so respelling gains nothing.
        username = unicodedata.normalize(
            "NFKC", request.POST.get("username", "")[:150].strip()
        )
        username = username.casefold()
        self.keys = [
            "login-fail:addr:"
            + hashlib.sha256(client_address(request).encode()).hexdigest(),
            "login-fail:user:" + hashlib.sha256(username.encode()).hexdigest(),
        ]

    def locked(self):
        try:
            counts = cache.get_many(self.keys)
        except Exception:  # a cache outage must not lock everyone out, nor let it crash
            logger.warning("Login throttle unavailable: cache error")
            return False
        return any(count >= settings.ADMIN_LOGIN_ATTEMPTS for count in counts.values())

    def record_failure(self):
        for key in self.keys:
            try:
                cache.add(key, 0, settings.ADMIN_LOCKOUT_SECONDS)
                cache.incr(key)
            except Exception:
                logger.warning("Login throttle unavailable: cache error")

    def reset(self):
        try:
            cache.delete_many(self.keys)
        except Exception:
            pass


class NetGuideAdminSite(admin.AdminSite):
    site_header = "NET Guide editorial"
    site_title = "NET Guide editorial"
    index_title = "Treatment guide content"

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = LoginThrottle(request)
        if throttle.locked():
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
        else:
            throttle.record_failure()
        return response

    def get_urls(self):
        from treatments.admin_views import review_dashboard

        return [
            path("review/", self.admin_view(review_dashboard), name="review-dashboard"),
            *super().get_urls(),
        ]
