"""Coordinators log attempts and delete on a patient's request; a privacy role reads the
access log. Nobody else (but superusers) sees either."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COORDINATOR_PERMISSIONS = [
    "view_appointmentrequest",
    "change_appointmentrequest",
    "delete_appointmentrequest",
    "view_callattempt",
    "add_callattempt",
]
PRIVACY_PERMISSIONS = ["view_accesslogentry"]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (
        ("Appointment coordinators", COORDINATOR_PERMISSIONS),
        ("Privacy officers", PRIVACY_PERMISSIONS),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="appointments", codename__in=codenames
        )
        assert permissions.count() == len(codenames)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Privacy officers").delete()
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Appointment coordinators").first()
    if group:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="appointments",
                codename__in=["view_appointmentrequest", "change_appointmentrequest"],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0003_inbox")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
