"""Typo-tolerant search uses PostgreSQL's pg_trgm; SQLite has no such thing and skips it."""

from django.db import migrations


def create_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_glossary_and_search")]

    operations = [migrations.RunPython(create_extension, migrations.RunPython.noop)]
