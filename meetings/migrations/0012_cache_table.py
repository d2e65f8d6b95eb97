"""The database cache's table (settings.CACHES without CACHE_URL), for the rate limits' counters.

`manage.py createcachetable` makes it; run here so `migrate` is all a deployment needs. With
CACHE_URL naming Redis there is no database cache and this does nothing.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0011_clean_control_characters")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
