import django.contrib.postgres.search
from django.db import migrations

from treatments.models.search_index import document_vector


def store_vectors(apps, schema_editor):
    # The historical model has no store_vectors(): the same update.
    if schema_editor.connection.vendor != "postgresql":
        return
    SearchEntry = apps.get_model("treatments", "SearchEntry")
    for language in SearchEntry.objects.values_list("language", flat=True).distinct():
        SearchEntry.objects.filter(language=language).update(
            vector=document_vector(language)
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0021_about_this_guide")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True
            ),
        ),
        migrations.RunPython(store_vectors, migrations.RunPython.noop),
    ]
