from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from treatments.admin_views import markdown_preview, review_dashboard

admin.site.site_header = "NET Guide editorial"
admin.site.site_title = "NET Guide editorial"
admin.site.index_title = "Treatment guide content"

urlpatterns = [
    path("admin/review/", admin.site.admin_view(review_dashboard), name="review-dashboard"),
    path("admin/", admin.site.urls),
    # django-markdownx's preview is open to anyone by default; ours is staff only.
    # Its image upload is not routed at all: the guide has no images to upload.
    path(
        settings.MARKDOWNX_URLS_PATH.lstrip("/"),
        markdown_preview,
        name="markdownx_markdownify",
    ),
    path("", include("treatments.urls")),
]

handler404 = "treatments.errors.page_not_found"
