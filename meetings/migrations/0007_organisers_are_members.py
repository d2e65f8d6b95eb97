from django.conf import settings
from django.db import migrations, models


def organisers_join(apps, schema_editor):
    """Organisers are always members of their series (members-only series are read by members)."""
    Series = apps.get_model("meetings", "Series")
    Members = Series.members.through
    Organisers = Series.organisers.through
    have = set(Members.objects.values_list("series_id", "user_id"))
    missing = {
        (series_id, user_id)
        for series_id, user_id in Organisers.objects.values_list("series_id", "user_id")
        if (series_id, user_id) not in have
    }
    Members.objects.bulk_create([Members(series_id=s, user_id=u) for s, u in sorted(missing)])


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_swap_email_claims"),
    ]

    operations = [
        migrations.AlterField(
            model_name="series",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                help_text="Who belongs to this club: members read a members-only series and receive its emails.",
                related_name="member_of_series",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="series",
            name="visibility",
            field=models.CharField(
                choices=[
                    ("public", "Public: anyone can read it"),
                    ("members", "Members only: its members, organisers and staff can read it"),
                ],
                default="public",
                max_length=10,
            ),
        ),
        migrations.RunPython(organisers_join, migrations.RunPython.noop),
    ]
