from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.forms import BaseInlineFormSet, inlineformset_factory

from meetings.models import Meeting, Minutes, Series, Talk

User = get_user_model()


class MinutesField(forms.IntegerField):
    """A duration entered as whole minutes."""

    def prepare_value(self, value):
        if isinstance(value, timedelta):
            return int(value.total_seconds() // 60)
        return value

    def to_python(self, value):
        number = super().to_python(value)
        return None if number is None else timedelta(minutes=number)

    def validate(self, value):
        forms.Field.validate(self, value)

    def run_validators(self, value):
        if value is not None and not (timedelta(minutes=5) <= value <= timedelta(hours=24)):
            raise forms.ValidationError("Give a length between 5 minutes and 24 hours.")


def _people():
    return User.objects.filter(is_active=True).order_by("display_name", "username")


class SeriesForm(forms.ModelForm):
    default_duration = MinutesField(label="Usual length (minutes)", initial=60)
    organisers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Organisers edit the series, schedule meetings and publish minutes.",
    )
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Members write in the series, read it if it is members-only, and receive its emails.",
    )
    speaker_pool = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Speaker pool",
        help_text="Who the rota generator may assign; members can also opt in and out themselves.",
    )

    class Meta:
        model = Series
        fields = [
            "name",
            "slug",
            "description",
            "visibility",
            "organisers",
            "members",
            "speaker_pool",
            "time_zone",
            "schedule",
            "cadence_weeks",
            "anchor_date",
            "month_week",
            "weekday",
            "start_time",
            "default_duration",
            "location",
            "video_link",
            "queue_half_life_weeks",
        ]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "anchor_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "month_week": forms.Select(
                choices=[
                    ("", "—"),
                    (1, "First"),
                    (2, "Second"),
                    (3, "Third"),
                    (4, "Fourth"),
                    (5, "Fifth"),
                    (-1, "Last"),
                ]
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisers"].queryset = _people()
        self.fields["members"].queryset = _people()
        self.fields["speaker_pool"].queryset = _people()
        self.fields["description"].widget.attrs["rows"] = 6
        self.fields["schedule"].required = False
        self.fields["queue_half_life_weeks"].required = False

    def clean(self):
        data = super().clean()
        if data.get("schedule") == Series.Schedule.MONTHLY and not data.get("month_week"):
            self.add_error("month_week", "Say which week of the month the series meets.")
        return data

    def clean_queue_half_life_weeks(self):
        # A form posted without it (an older page) keeps the series' half-life.
        return self.cleaned_data.get("queue_half_life_weeks") or self.instance.queue_half_life_weeks

    def clean_schedule(self):
        # A form posted without the schedule (an older page) keeps the series' rule.
        return self.cleaned_data.get("schedule") or self.instance.schedule


class MeetingForm(forms.ModelForm):
    """Times are entered and shown in the series' time zone (the view activates it)."""

    duration = MinutesField(label="Length (minutes)", initial=60)

    class Meta:
        model = Meeting
        fields = [
            "title",
            "start",
            "duration",
            "status",
            "location",
            "video_link",
            "recording_link",
            "agenda",
        ]
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {"start": "Leave empty if the date is not set yet."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["agenda"].widget.attrs["rows"] = 6


class TalkForm(forms.ModelForm):
    class Meta:
        model = Talk
        fields = ["speaker", "guest_name", "title"]
        labels = {"speaker": "Member", "guest_name": "or guest's name"}

    def __init__(self, *args, series=None, readers=None, former=None, **kwargs):
        super().__init__(*args, **kwargs)
        if series is None:
            self.fields["speaker"].queryset = _people()
            return
        from meetings.selectors import people_who_may_read

        # In a members-only series only those who may read it can speak (they are emailed about it).
        # A talk given before its speaker left stays valid when the meeting is edited: its own form
        # (only) still offers that speaker. The formset reads both lists once for all its forms.
        own = self.instance.speaker_id
        kept = [former[own]] if former and own in former else []
        self.fields["speaker"].queryset = people_who_may_read(series=series, also=[own] if kept else [])
        if readers is not None:
            people = sorted([*readers, *kept], key=lambda person: (person.display_name, person.username))
            field = self.fields["speaker"]
            field.choices = [("", field.empty_label), *((person.pk, str(person)) for person in people)]

    def clean(self):
        data = super().clean()
        if not data.get("DELETE") and self.has_changed():
            if not data.get("speaker") and not data.get("guest_name", "").strip():
                raise forms.ValidationError("Choose a member or write a guest's name.")
            if data.get("speaker") and data.get("guest_name", "").strip():
                raise forms.ValidationError("Choose a member or write a guest's name, not both.")
        return data


class TalkFormSetBase(BaseInlineFormSet):
    """The talks of a meeting. The speakers on offer are read once for the whole formset, not once
    per form: the series' readers, and the former readers who already speak at this meeting."""

    def __init__(self, *args, series=None, **kwargs):
        super().__init__(*args, **kwargs)
        if series is not None:
            from meetings.selectors import people_who_may_read

            readers = list(people_who_may_read(series=series))
            reader_ids = {person.pk for person in readers}
            speaker_ids = {talk.speaker_id for talk in self.get_queryset()} - reader_ids - {None}
            former = (
                {person.pk: person for person in User.objects.filter(pk__in=speaker_ids)}
                if speaker_ids
                else {}
            )
            self.form_kwargs = {**self.form_kwargs, "series": series, "readers": readers, "former": former}


TalkFormSet = inlineformset_factory(
    Meeting,
    Talk,
    form=TalkForm,
    formset=TalkFormSetBase,
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


class MinutesEditForm(forms.Form):
    body = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        max_length=200_000,
    )
    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


KIND_SLUGS = {"minutes": Minutes.Kind.MINUTES, "recap": Minutes.Kind.RECAP}
