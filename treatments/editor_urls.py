"""The admin editor's live Markdown preview, at django-markdownx's configured path.
django-markdownx's own preview is open to anyone; ours is staff only, and its image
upload is not routed at all (the guide has no images to upload)."""

from django.conf import settings
from django.urls import path

from .admin_views import markdown_preview

urlpatterns = [
    path(
        settings.MARKDOWNX_URLS_PATH.lstrip("/"),
        markdown_preview,
        name="markdownx_markdownify",
    ),
]
