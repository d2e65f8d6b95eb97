from django import forms
from django.contrib.auth import get_user_model

from meetings.models import Series

User = get_user_model()
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _pool_label(user) -> str:
    return f"{user.name} ({user.username})" if user.name != user.username else user.username


class TermForm(forms.Form):
    """The inputs of a term's rota; the preview and the confirmation both post them."""

    start = forms.DateField(label="First date", widget=DATE)
    end = forms.DateField(label="Last date", widget=DATE)
    pool = forms.ModelMultipleChoiceField(
        label="Speaker pool",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Members who opted in to present in this series.",
        error_messages={"required": "Choose at least one speaker."},
    )
    use_queue = forms.BooleanField(
        label="Offer each new talk a paper from the queue",
        required=False,
        help_text="“I'd present it” volunteers get the first dates they are free, with their paper; "
        "every other speaker is offered their top-voted unclaimed suggestion. The talks claim them.",
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, pool_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pool_queryset
        self.fields["pool"].label_from_instance = _pool_label

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The term ends before it starts.")
        return data


class SkipDateForm(forms.Form):
    date = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. Easter break.")


class ReassignForm(forms.Form):
    speaker = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = people
        self.fields["speaker"].label_from_instance = _pool_label


class MoveForm(forms.Form):
    date = forms.DateField(label="New date", widget=DATE)


class SwapSlotsForm(forms.Form):
    first = forms.TypedChoiceField(label="Swap the speaker of", coerce=int)
    second = forms.TypedChoiceField(label="with the speaker of", coerce=int)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.pk, m.label) for m in meetings]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices
        if len(choices) > 1:
            self.fields["second"].initial = choices[1][0]

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            raise forms.ValidationError("Choose two different meetings.")
        return data


class SwapAskForm(forms.Form):
    to_talk = forms.TypedChoiceField(label="Swap with", coerce=int, widget=forms.RadioSelect)
    message = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Optional."
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_talk"].choices = [(t.pk, f"{t.meeting.label} — {t.speaker_name}") for t in targets]


class UnavailabilityForm(forms.Form):
    date = forms.DateField(label="Date I cannot present", widget=DATE)
    series = forms.ModelChoiceField(queryset=Series.objects.none(), required=False, empty_label="Any series")
    note = forms.CharField(max_length=200, required=False, help_text="Optional, e.g. conference.")

    def __init__(self, *args, series_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = series_choices
