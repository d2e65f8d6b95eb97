from django import forms
from django.contrib.auth import get_user_model

from meetings.forms import MarkdownField

User = get_user_model()


class ResearchAddForm(forms.Form):
    lines = forms.CharField(
        label="Add items, one per line",
        max_length=20_000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "what is a GAN @ada\nlook into the gravity spy paper"}
        ),
        help_text="@username assigns an item; a link in an item joins the library.",
    )


class ResearchDropForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        help_text="Why is it dropped? e.g. “same review from May 2020 that I already have”.",
    )


class ResearchEditForm(forms.Form):
    text = MarkdownField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody yet")
    resource = forms.TypedChoiceField(
        label="Linked resource",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="One the meeting mentions, or a recent one from the library.",
    )
    resource_url = forms.CharField(
        label="…or paste a link",
        required=False,
        max_length=2000,
        help_text="It joins the library and becomes the item's resource.",
    )

    def __init__(self, *args, resources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).order_by(
            "display_name", "username"
        )
        self.fields["resource"].choices = [("", "None")] + [
            (r.pk, (r.title or r.url)[:90]) for r in resources
        ]
