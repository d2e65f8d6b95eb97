from django import forms

from meetings.forms import MarkdownField
from meetings.models import Suggestion, SuggestionComment
from resources.models import Resource

ARCHIVE_REASONS = ("duplicate", "off-topic", "already read", "no longer available")


class SuggestForm(forms.Form):
    url = forms.CharField(
        label="Link or identifier",
        max_length=2000,
        help_text="Paste a link, an arXiv id (arXiv:2106.09685) or a DOI (10.1000/xyz): it joins the library "
        "with its metadata.",
        widget=forms.TextInput(
            attrs={"placeholder": "https://arxiv.org/abs/2106.09685", "autocomplete": "off"}
        ),
    )
    pitch = MarkdownField(
        label="Pitch",
        required=False,
        max_length=Suggestion.PITCH_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why read it? Markdown.",
    )
    would_present = forms.BooleanField(label="I'd present it", required=False)


class SuggestionEditForm(forms.Form):
    pitch = MarkdownField(
        label="Pitch",
        required=False,
        max_length=Suggestion.PITCH_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why read it? Markdown.",
    )
    would_present = forms.BooleanField(label="I'd present it", required=False)


class CommentForm(forms.Form):
    body = MarkdownField(
        label="Comment",
        max_length=SuggestionComment.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown; links join the library.",
        error_messages={"required": "Write a comment first."},
    )


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="e.g. duplicate, off-topic, already read.",
        widget=forms.TextInput(attrs={"list": "archive-reasons"}),
        error_messages={"required": "Say why, e.g. “duplicate”, “off-topic” or “already read”."},
    )


class VoteForm(forms.Form):
    vote = forms.ChoiceField(choices=[("up", "Vote"), ("withdraw", "Withdraw my vote")])


class ClaimForm(forms.Form):
    talk = forms.TypedChoiceField(
        label="For the talk", coerce=int, error_messages={"required": "Choose a talk."}
    )

    def __init__(self, *args, talks, **kwargs):
        super().__init__(*args, **kwargs)
        self.talks = {talk.pk: talk for talk in talks}
        self.fields["talk"].choices = [(talk.pk, talk_label(talk)) for talk in talks]

    def clean_talk(self):
        return self.talks[self.cleaned_data["talk"]]


def talk_label(talk) -> str:
    return f"{talk.meeting.label} — {talk.speaker_name}"


class QueueFilterForm(forms.Form):
    """The queue page's filters (GET); anything unknown is ignored rather than an error."""

    state = forms.ChoiceField(
        required=False,
        choices=[
            ("open", "In the queue"),
            ("claimed", "Claimed for a talk"),
            ("presented", "Presented"),
            ("archived", "Archived"),
        ],
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Resource.Kind.choices])
    tag = forms.CharField(required=False, max_length=100)
    would_present = forms.BooleanField(label="“I'd present it”", required=False)
    unvoted = forms.BooleanField(label="Not yet voted by me", required=False)
