"""Editors edit search synonyms and reviewers sign them off, like every reviewable
page."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = ["view_synonym", "add_synonym", "change_synonym"]
REVIEWERS = ["view_synonym"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", EDITORS), ("Medical reviewers", REVIEWERS)):
        permissions = Permission.objects.filter(
            content_type__app_label="treatments", codename__in=codenames
        )
        assert permissions.count() == len(codenames), codenames
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0016_synonyms_and_search_weights")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
