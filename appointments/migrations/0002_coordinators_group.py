"""Appointment coordinators see and handle requests; nobody else but superusers does."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_appointmentrequest", "change_appointmentrequest"]


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Appointment coordinators")
    permissions = Permission.objects.filter(
        content_type__app_label="appointments", codename__in=PERMISSIONS
    )
    assert permissions.count() == len(PERMISSIONS)
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name="Appointment coordinators"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
