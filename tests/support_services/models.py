from django.db import models

from treatments.content_files import ContentFile
from treatments.models import Content
from treatments.models.base import one_slug_per_language


class SupportService(Content):
    """A service that supports people with a NET: a nurse line, a patient group."""

    cache_kind = "support-services"
    preview_kind = "support-service"
    preview_template = "support_services/includes/service_content.html"
    template_name = "support_services/service_page.html"
    url_name = "support_services:service"
    prose_keys = ("name", "description")
    diff_labels = {"name": "Name", "description": "What it offers"}
    in_sitemap = True
    content_file = ContentFile.records(
        "support-services.toml",
        "services",
        ("slug", "name", "description"),
        required=("slug", "name"),
    )

    slug = models.SlugField()
    name = models.CharField(max_length=80)
    description = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [one_slug_per_language("supportservice_slug_per_language")]

    def __str__(self):
        return self.name

    def snapshot(self):
        return self.fields_of("slug", "name", "description")

    def search_document(self, content):
        return {
            "kind_label": "Support service",
            "title": content["name"],
            "keywords": "",
            "text": content["description"],
        }
