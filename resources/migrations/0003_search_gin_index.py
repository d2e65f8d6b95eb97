from django.db import migrations

# The GIN index exists on PostgreSQL only; SQLite searches with LIKE instead.
CREATE = "CREATE INDEX IF NOT EXISTS resources_resource_search_gin ON resources_resource USING GIN (search_vector)"
DROP = "DROP INDEX IF EXISTS resources_resource_search_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("resources", "0002_library")]

    operations = [migrations.RunPython(forwards, backwards)]
