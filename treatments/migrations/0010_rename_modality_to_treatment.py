"""The model patients and editors call a treatment is named Treatment in code too."""

import django.db.models.deletion
from django.db import migrations, models


def rename_codenames(apps, schema_editor, old="modality", new="treatment"):
    # Groups hold permissions by row: renaming the rows keeps every role's rights.
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(
        content_type__app_label="treatments", codename__endswith=f"_{old}"
    ):
        permission.codename = permission.codename.removesuffix(old) + new
        permission.name = permission.name.replace(old, new)
        permission.save(update_fields=["codename", "name"])
    SearchEntry = apps.get_model("treatments", "SearchEntry")
    SearchEntry.objects.filter(kind=old).update(kind=new)


def restore_codenames(apps, schema_editor):
    rename_codenames(apps, schema_editor, old="treatment", new="modality")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("treatments", "0009_fit_rules_key_points_compare"),
    ]

    operations = [
        migrations.RenameModel("Modality", "Treatment"),
        migrations.RenameField("procedure", "modality", "treatment"),
        migrations.RenameField("question", "modality", "treatment"),
        migrations.AlterField(
            model_name="procedure",
            name="treatment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="procedures",
                to="treatments.treatment",
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="treatment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="questions",
                to="treatments.treatment",
            ),
        ),
        migrations.AlterField(
            model_name="treatment",
            name="drugs",
            field=models.ManyToManyField(
                blank=True, related_name="treatments", to="treatments.drug"
            ),
        ),
        migrations.AlterField(
            model_name="treatment",
            name="side_effects",
            field=models.ManyToManyField(
                blank=True, related_name="treatments", to="treatments.sideeffect"
            ),
        ),
        migrations.RunPython(rename_codenames, restore_codenames),
    ]
