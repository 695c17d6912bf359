from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

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
    path("appointments/", include("appointments.urls")),
    path("", include("treatments.urls")),
]
