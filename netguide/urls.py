from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from netguide.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico; resolved per request, after collectstatic.
    path(
        "favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("treatments.editor_urls")),
    # No switch-language view: public pages set no cookies, and each page links to
    # itself in the other languages.
]
# Patient pages in every language of settings.LANGUAGES: the source language at the
# addresses it always had, the others under their prefix (/es/...), with their own
# translated addresses (locale/<code>/LC_MESSAGES/django.po). Previews of revisions
# (editorial) show a page in its own language whatever the prefix.
urlpatterns += i18n_patterns(
    path(_("appointments/"), include("appointments.urls")),
    path("", include("editorial.urls")),
    path("", include("treatments.urls")),
    prefix_default_language=False,
)
