from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial history"

    def ready(self):
        # Django's place for registering checks (they read models): the project's
        # deploy checks, which the engine registers as netguide is not an app.
        from netguide import checks  # noqa: F401


class EditorialAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the engine's site: the editorial desk, and a login that
    resists guessing. Installed in place of "django.contrib.admin"."""

    default = False
    default_site = "editorial.admin_site.EditorialAdminSite"
