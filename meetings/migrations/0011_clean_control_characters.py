"""Remove the characters XML and iCalendar refuse from every stored text (issue 13).

Before issue 13 a title, tag or note could hold a control character (U+0001...), which made every
Atom feed showing it answer 500. Input is cleaned or refused since; this cleans what was stored
before. Every CharField and TextField of the meetings, resources and taggit models is searched
(one query per column; PostgreSQL cannot store NUL, so the pattern starts at U+0001).
"""

import re

from django.db import IntegrityError, migrations, models, transaction

PATTERN = "[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
INVALID = re.compile(PATTERN)
APPS = ("meetings", "resources", "taggit")


def clean_stored_text(apps, schema_editor):
    for app_label in APPS:
        for model in apps.get_app_config(app_label).get_models():
            columns = [
                field.name
                for field in model._meta.get_fields()
                if isinstance(field, (models.CharField, models.TextField))
                and getattr(field, "concrete", False)
                and not field.primary_key
            ]
            for name in columns:
                manager = model._base_manager
                for pk, value in manager.filter(**{f"{name}__regex": PATTERN}).values_list("pk", name):
                    try:
                        with transaction.atomic():
                            manager.filter(pk=pk).update(**{name: INVALID.sub("", value)})
                    except IntegrityError:  # "gans\x01" next to "gans" (a unique name): keep it apart
                        manager.filter(pk=pk).update(**{name: INVALID.sub("\ufffd", value)})


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0010_paper_queue"),
        ("resources", "0006_visibility"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(clean_stored_text, migrations.RunPython.noop, elidable=True)]
