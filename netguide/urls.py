from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from netguide.health import healthz
from treatments.admin_views import markdown_preview

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico; resolved per request, after collectstatic.
    path(
        "favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    # django-markdownx's preview is open to anyone by default; ours is staff only.
    # Its image upload is not routed at all: the guide has no images to upload.
    path(
        settings.MARKDOWNX_URLS_PATH.lstrip("/"),
        markdown_preview,
        name="markdownx_markdownify",
    ),
    # No switch-language view: public pages set no cookies, and each page links to
    # itself in the other languages.
]
# Patient pages in every language of settings.LANGUAGES: the source language at the
# addresses it always had, the others under their prefix (/es/...), with their own
# translated addresses (locale/<code>/LC_MESSAGES/django.po).
urlpatterns += i18n_patterns(
    path(_("appointments/"), include("appointments.urls")),
    path("", include("treatments.urls")),
    prefix_default_language=False,
)
