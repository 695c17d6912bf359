"""Editors add and edit sources and reviewers sign them off, like every reviewable
page."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = ["view_source", "add_source", "change_source"]
REVIEWERS = ["view_source"]


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
        Group.objects.get(name=name).permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0018_source")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
