"""The editors' and reviewers' admin: a guessing-resistant login and the review dashboard."""

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse

from treatments.models import LoginFailure
from treatments.review import reviewable_models, revision_permission

from .client import client_address

logger = logging.getLogger("netguide.security")


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is evidence: nobody adds, changes or deletes it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        return [
            path(
                "review/",
                self.admin_view(self.review_dashboard),
                name="review-dashboard",
            ),
            *super().get_urls(),
        ]

    def review_dashboard(self, request):
        """The review workload: waiting, overdue and due soon, with links."""
        if not request.user.has_perm(revision_permission("view_revision")):
            raise PermissionDenied
        profile = getattr(request.user, "reviewer_profile", None)
        my_specialties = set(profile.specialties) if profile else set()

        def rows(queryset):
            found = []
            for record in queryset:
                opts = record._meta
                found.append(
                    {
                        "record": record,
                        "kind": opts.verbose_name,
                        "mine": record.review_specialty in my_specialties,
                        "review_url": reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_review",
                            args=[record.pk],
                        ),
                        "change_url": reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_change",
                            args=[record.pk],
                        ),
                    }
                )
            return found

        waiting, overdue, due_soon, behind = [], [], [], []
        for model in reviewable_models():
            waiting += rows(
                model.objects.awaiting_review().select_related("latest_revision")
            )
            overdue += rows(model.objects.overdue())
            due_soon += rows(model.objects.due_for_review())
            if getattr(model, "translatable", False):
                behind += rows(model.objects.out_of_date())
        # A reviewer's own specialties first, then the rest.
        waiting.sort(key=lambda row: (not row["mine"], str(row["record"])))
        return TemplateResponse(
            request,
            "admin/treatments/dashboard.html",
            {
                **self.each_context(request),
                "title": "Medical review dashboard",
                "waiting": waiting,
                "overdue": overdue,
                "behind": behind,
                "due_soon": sorted(
                    due_soon, key=lambda row: row["record"].next_review_due
                ),
            },
        )
