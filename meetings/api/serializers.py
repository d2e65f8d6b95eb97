"""The meetings side's JSON: series, meetings with talks, minutes, research items.

Response serializers only read what the selectors load (see meetings/selectors.py), so each
endpoint's query count stays fixed. Request serializers use the strict fields of
meetings/api/fields.py and are separate, so the schema says exactly what a client may send.
"""

from datetime import datetime, timedelta
from zoneinfo import available_timezones

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetings.api import fields
from meetings.models import Meeting, Minutes, ResearchItem, Series

TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def _api_url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


# Series ------------------------------------------------------------------------------------------


class SeriesSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(help_text="Markdown.")
    description_html = serializers.CharField(help_text="The description rendered and sanitised.")
    visibility = serializers.ChoiceField(choices=Series.Visibility.choices)
    time_zone = serializers.CharField()
    schedule = serializers.ChoiceField(choices=Series.Schedule.choices)
    cadence_weeks = serializers.IntegerField()
    weekday = serializers.ChoiceField(choices=Series.Weekday.choices, help_text="0 = Monday … 6 = Sunday.")
    anchor_date = serializers.DateField(allow_null=True)
    month_week = serializers.IntegerField(allow_null=True)
    start_time = serializers.SerializerMethodField()
    default_duration_minutes = serializers.SerializerMethodField()
    location = serializers.CharField()
    video_link = serializers.CharField()
    queue_half_life_weeks = serializers.IntegerField(
        help_text="In the paper queue a vote counts half as much after this many weeks."
    )
    organisers = UserRefSerializer(many=True)
    next_start = serializers.DateTimeField(allow_null=True, help_text="The next meeting's start, if any.")
    meeting_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    web_url = serializers.CharField(source="get_absolute_url")
    meetings_url = serializers.SerializerMethodField()
    rota_url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "pattern": f"^{TIME}$", "description": "HH:MM, local time."})
    def get_start_time(self, series) -> str:
        value = series.start_time  # a string until the row is read back (the model's default is "14:00")
        return value[:5] if isinstance(value, str) else value.strftime("%H:%M")

    def get_default_duration_minutes(self, series) -> int:
        return int(series.default_duration.total_seconds() // 60)

    def get_meetings_url(self, series) -> str:
        return _api_url("api-meeting-list", slug=series.slug)

    def get_rota_url(self, series) -> str:
        return _api_url("api-series-rota", slug=series.slug)


def _validate_time_zone(value: str) -> str:
    if value not in available_timezones():
        raise serializers.ValidationError("Give an IANA time zone, e.g. Europe/London.")
    return value


class SeriesUpdateSerializer(serializers.Serializer):
    name = fields.Text(max_length=200, required=False)
    description = fields.Markdown(allow_blank=True, required=False)
    visibility = fields.Choice(choices=Series.Visibility.choices, required=False)
    time_zone = fields.Text(max_length=64, required=False, validators=[_validate_time_zone])
    cadence_weeks = fields.Integer(min_value=1, max_value=4, required=False)
    weekday = fields.Choice(choices=Series.Weekday.choices, required=False)
    start_time = fields.Text(
        required=False,
        validators=[fields.pattern(TIME, "Give a time as HH:MM, e.g. 14:00.")],
        help_text="HH:MM, local time in the series' time zone.",
    )
    default_duration_minutes = fields.Integer(min_value=5, max_value=24 * 60, required=False)
    location = fields.Text(max_length=200, allow_blank=True, required=False)
    video_link = fields.Url(max_length=500, allow_blank=True, required=False)
    queue_half_life_weeks = fields.Integer(
        min_value=1, max_value=520, required=False, help_text="The paper queue's vote half-life, in weeks."
    )


class SeriesCreateSerializer(SeriesUpdateSerializer):
    name = fields.Text(max_length=200)
    slug = fields.Text(
        max_length=80,
        validators=[fields.SLUG],
        help_text="Used in addresses, set once: letters, digits, - and _.",
    )

    def validate_slug(self, value):
        if Series.objects.filter(slug=value).exists():
            raise serializers.ValidationError("A series already has this slug.")
        return value


def series_apply(series: Series, data: dict) -> Series:
    """Copy validated request data onto a series (not saved)."""
    for name, value in data.items():
        if name == "default_duration_minutes":
            series.default_duration = timedelta(minutes=value)
        elif name == "start_time":
            series.start_time = datetime.strptime(value, "%H:%M").time()
        else:
            setattr(series, name, value)
    return series


# Meetings ----------------------------------------------------------------------------------------


class TalkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    speaker = UserRefSerializer(allow_null=True, help_text="The member speaking; null for a guest.")
    speaker_name = serializers.CharField()
    guest_name = serializers.CharField()
    title = serializers.CharField()
    resource = serializers.IntegerField(
        source="resource_id", allow_null=True, help_text="The paper presented."
    )
    confirmed_at = serializers.DateTimeField(allow_null=True)


class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    series = serializers.CharField(source="series.slug", help_text="The series' slug.")
    sequence = serializers.IntegerField()
    start = serializers.DateTimeField(allow_null=True, help_text="Null for a meeting not yet dated.")
    duration_minutes = serializers.SerializerMethodField()
    title = serializers.CharField()
    location = serializers.CharField()
    video_link = serializers.CharField()
    recording_link = serializers.CharField()
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    agenda = serializers.CharField(help_text="Markdown.")
    agenda_html = serializers.CharField()
    talks = TalkSerializer(many=True, help_text="The speakers, in order.")
    minutes_url = serializers.SerializerMethodField()
    recap_url = serializers.SerializerMethodField()
    web_url = serializers.CharField(source="get_absolute_url")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_duration_minutes(self, meeting) -> int:
        return int(meeting.duration.total_seconds() // 60)

    def get_minutes_url(self, meeting) -> str:
        return _api_url("api-minutes", slug=meeting.series.slug, pk=meeting.pk)

    def get_recap_url(self, meeting) -> str:
        return _api_url("api-recap", slug=meeting.series.slug, pk=meeting.pk)


class MeetingWriteSerializer(serializers.Serializer):
    start = fields.DateTime(
        allow_null=True, required=False, help_text=f"ISO 8601; years {EARLIEST_YEAR} to {LATEST_YEAR}."
    )
    duration_minutes = fields.Integer(min_value=5, max_value=24 * 60, required=False)
    title = fields.Text(max_length=300, allow_blank=True, required=False)
    location = fields.Text(max_length=200, allow_blank=True, required=False)
    video_link = fields.Url(max_length=500, allow_blank=True, required=False)
    recording_link = fields.Url(max_length=500, allow_blank=True, required=False)
    status = fields.Choice(choices=Meeting.Status.choices, required=False)
    agenda = fields.Markdown(allow_blank=True, required=False, help_text="Markdown.")

    def validate_start(self, value):
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise serializers.ValidationError(f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return value


def meeting_apply(meeting: Meeting, data: dict) -> Meeting:
    for name, value in data.items():
        if name == "duration_minutes":
            meeting.duration = timedelta(minutes=value)
        else:
            setattr(meeting, name, value)
    return meeting


class RotaTalkSerializer(serializers.Serializer):
    speaker = UserRefSerializer(allow_null=True)
    speaker_name = serializers.CharField()
    title = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="When the speaker confirmed.")


class RotaEntrySerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="pk")
    start = serializers.DateTimeField(allow_null=True)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    talks = RotaTalkSerializer(many=True)


# Minutes -----------------------------------------------------------------------------------------


class MinutesSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting_id")
    kind = serializers.ChoiceField(choices=Minutes.Kind.choices)
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.CharField(help_text="Rendered and sanitised when saved.")
    revision = serializers.IntegerField(help_text="0 until the first save; send it back as base_revision.")
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)


class MinutesWriteSerializer(serializers.Serializer):
    body = fields.Markdown(allow_blank=True, help_text="Markdown.")
    base_revision = fields.Integer(
        min_value=0, max_value=2_000_000_000, help_text="The revision your text is based on."
    )


# Research items ----------------------------------------------------------------------------------


class ResearchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField(source="meeting_id")
    series = serializers.CharField(source="meeting.series.slug")
    text = serializers.CharField(help_text="Short Markdown.")
    text_html = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ResearchItem.Status.choices)
    drop_reason = serializers.CharField(help_text="Why it was dropped; empty unless dropped.")
    assignee = UserRefSerializer(allow_null=True)
    resource = serializers.IntegerField(source="resource_id", allow_null=True)
    raised_by = UserRefSerializer(allow_null=True)
    status_changed_by = UserRefSerializer(allow_null=True)
    status_changed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    web_url = serializers.CharField(source="get_absolute_url")


class ResearchFilterSerializer(serializers.Serializer):
    assignee = fields.Text(
        max_length=150, required=False, help_text="A username, `mine` (needs signing in) or `nobody`."
    )
    status = fields.Choice(
        choices=[*ResearchItem.Status.values, "all"], required=False, help_text="Default: all."
    )
    series = fields.Text(max_length=80, required=False, validators=[fields.SLUG], help_text="A series' slug.")
    meeting = fields.Text(required=False, validators=[fields.WHOLE_NUMBER], help_text="A meeting's id.")


class ResearchItemCreateSerializer(serializers.Serializer):
    meeting = fields.Id(help_text="The meeting it was raised at.")
    text = fields.Markdown(max_length=1000, help_text="One line of short Markdown; links join the library.")
    assignee = fields.Text(max_length=150, allow_null=True, required=False, help_text="A username.")

    def validate_text(self, value):
        if len(value.splitlines()) > 1:
            raise serializers.ValidationError("One item, on one line.")
        return value


class ResearchDropSerializer(serializers.Serializer):
    reason = fields.Text(max_length=500, help_text="Why, e.g. “duplicate of a paper I already have”.")


class ResearchReassignSerializer(serializers.Serializer):
    assignee = fields.Text(max_length=150, allow_null=True, help_text="A username, or null for nobody.")
