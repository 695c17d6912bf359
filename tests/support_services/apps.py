from django.apps import AppConfig


class SupportServicesConfig(AppConfig):
    """A content type made only for the tests (installed by netguide/test_settings.py):
    it proves a new type needs its model, migration, admin, template, URL and
    translations, and that review, search, the sitemap, the published files and
    content import and export find it with no edit anywhere else."""

    name = "tests.support_services"
    label = "support_services"
    verbose_name = "Support services (a test content type)"
