"""The editorial roles, as groups with the permissions they need and no more."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_MODELS = [
    "modality",
    "procedure",
    "question",
    "sideeffect",
    "drug",
    "indication",
    "page",
    "sitesettings",
]

EDITOR_PERMISSIONS = (
    [f"view_{model}" for model in CONTENT_MODELS]
    + [f"add_{model}" for model in CONTENT_MODELS if model != "sitesettings"]
    + [f"change_{model}" for model in CONTENT_MODELS]
    + ["delete_procedure", "delete_question"]
    + ["view_revision", "view_auditentry", "submit_revision", "withdraw_revision"]
)
REVIEWER_PERMISSIONS = (
    [f"view_{model}" for model in CONTENT_MODELS]
    + ["view_revision", "view_auditentry", "view_reviewerprofile"]
    + ["approve_revision", "request_changes"]
)
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Medical reviewers": REVIEWER_PERMISSIONS}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="treatments", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found for {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
