"""The editorial engine's models, moved out of the treatments app: the same tables
(each model names its old table), so this migration changes the migration state
only, and the moved models' content types (with their permissions, which the
Editors and Medical reviewers groups hold) now say they are the engine's."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["revision", "auditentry", "sharelink", "editingmark", "loginfailure"]


def rename_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="treatments", model__in=MOVED).update(
        app_label="editorial"
    )


def reverse_content_type_rename(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="editorial", model__in=MOVED).update(
        app_label="treatments"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("treatments", "0014_reviewer_profile_translations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            rename_content_types, reverse_content_type_rename, elidable=False
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LoginFailure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=80, unique=True)),
                        ("count", models.PositiveIntegerField(default=0)),
                        (
                            "first_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                    ],
                    options={
                        "db_table": "treatments_loginfailure",
                    },
                ),
                migrations.CreateModel(
                    name="Revision",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("object_id", models.PositiveBigIntegerField()),
                        ("number", models.PositiveIntegerField()),
                        ("snapshot", models.JSONField()),
                        ("content_hash", models.CharField(max_length=64)),
                        ("contributor_ids", models.JSONField(default=list)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                to="contenttypes.contenttype",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "treatments_revision",
                        "ordering": ["content_type", "object_id", "-number"],
                        "permissions": [
                            (
                                "submit_revision",
                                "Can submit content for medical review",
                            ),
                            ("withdraw_revision", "Can withdraw content from review"),
                            (
                                "approve_revision",
                                "Can approve content (medical sign-off)",
                            ),
                            ("request_changes", "Can request changes to content"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("object_id", models.PositiveBigIntegerField()),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("created", "Revision created"),
                                    ("submitted", "Submitted for review"),
                                    ("withdrawn", "Withdrawn from review"),
                                    ("changes_requested", "Changes requested"),
                                    ("approved", "Approved"),
                                    ("published", "Published"),
                                    ("confirmed", "Confirmed still accurate"),
                                    ("scheduled", "Approved to go live at a set time"),
                                    (
                                        "schedule_cancelled",
                                        "Scheduled publishing cancelled",
                                    ),
                                    ("restored", "Restored from an earlier revision"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "reviewer_byline",
                            models.CharField(blank=True, max_length=300),
                        ),
                        (
                            "note",
                            models.TextField(
                                blank=True,
                                help_text="Change summary, reviewer note or comment.",
                            ),
                        ),
                        ("reading_level_reason", models.TextField(blank=True)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                to="contenttypes.contenttype",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "revision",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_entries",
                                to="editorial.revision",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "audit entries",
                        "db_table": "treatments_auditentry",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="ShareLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        ("expires_at", models.DateTimeField()),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "revision",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="share_links",
                                to="editorial.revision",
                            ),
                        ),
                        (
                            "revoked_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "treatments_sharelink",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="EditingMark",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("object_id", models.PositiveBigIntegerField()),
                        ("expires_at", models.DateTimeField()),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="contenttypes.contenttype",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "treatments_editingmark",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("content_type", "object_id"),
                                name="one_editing_mark_per_record",
                            )
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="revision",
                    constraint=models.UniqueConstraint(
                        fields=("content_type", "object_id", "number"),
                        name="one_revision_number_per_object",
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(
                        fields=["content_type", "object_id"],
                        name="auditentry_record_idx",
                    ),
                ),
            ]
        ),
    ]
