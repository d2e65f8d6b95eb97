"""Give the task-list checkboxes in already stored HTML the accessible name new renders get
(meetings/markdown.py, _label_task_boxes). Only the exact markup nh3 wrote is touched."""

import re

from django.db import migrations

TASK_BOX = re.compile(r'<input type="checkbox"( checked="")? disabled="">')
FIELDS = [
    ("meetings", "Series", "description_html"),
    ("meetings", "Meeting", "agenda_html"),
    ("meetings", "Minutes", "body_html"),
    ("meetings", "ResearchItem", "text_html"),
    ("meetings", "MeetingSection", "body_html"),
]


def label(html: str) -> str:
    return TASK_BOX.sub(
        lambda m: f'<input type="checkbox"{m[1] or ""} disabled="" aria-label="{"done" if m[1] else "not done"}">',
        html,
    )


def forwards(apps, schema_editor):
    for app, model_name, field in FIELDS:
        model = apps.get_model(app, model_name)
        rows = model.objects.filter(**{f"{field}__contains": 'type="checkbox"'}).values_list("pk", field)
        for pk, html in rows.iterator(chunk_size=500):
            new = label(html)
            if new != html:
                model.objects.filter(pk=pk).update(**{field: new})


class Migration(migrations.Migration):
    dependencies = [("meetings", "0008_user_theme")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
