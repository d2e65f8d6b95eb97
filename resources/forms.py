from django import forms

from meetings.forms import MarkdownField
from meetings.models import Series
from resources.models import ReadingList, ReadingListItem, Resource

KIND_CHOICES = [("", "Guess from the link"), *Resource.Kind.choices]


class TagsField(forms.CharField):
    """Tags typed as "gans, pytorch, review" (commas; spaces allowed inside a tag)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("help_text", "Separate tags with commas, e.g. gans, review, pytorch.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        return [part.strip() for part in value.split(",") if part.strip()]


class ResourceAddForm(forms.Form):
    url = forms.CharField(
        label="Link",
        max_length=2000,
        help_text="A URL, an arXiv id (arXiv:1707.08567) or a DOI (10.1088/2632-2153/abb93a).",
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "url", "autocomplete": "off"}),
    )
    title = forms.CharField(max_length=500, required=False, help_text="Leave empty to use the fetched title.")
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
    tags = TagsField()
    notes = MarkdownField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown.")


class ResourceEditForm(forms.Form):
    title = forms.CharField(max_length=500, required=False)
    kind = forms.ChoiceField(choices=Resource.Kind.choices)
    tags = TagsField()
    notes = MarkdownField(widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="Markdown.")


class ReadingListForm(forms.ModelForm):
    class Meta:
        model = ReadingList
        fields = ["title", "description", "series", "is_public"]
        field_classes = {"description": MarkdownField}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from meetings.selectors import series_of_member, series_sees_all

        # A list joins a series its maker belongs to: its members then read and edit it.
        series = (
            Series.objects.all() if series_sees_all(user) else Series.objects.filter(series_of_member(user))
        )
        self.fields["series"].queryset = series.order_by("name")
        self.fields["series"].required = False
        self.fields["series"].help_text = (
            "The list belongs to this series: its members read and edit it. A members-only series' "
            "list is never public."
        )


class ReadingListAddForm(forms.Form):
    url = forms.CharField(
        label="Add a link", max_length=2000, help_text="A URL, arXiv id or DOI; it joins the library too."
    )
    note = MarkdownField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReadingListItemNoteForm(forms.ModelForm):
    class Meta:
        model = ReadingListItem
        fields = ["note"]
        field_classes = {"note": MarkdownField}
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class TagRenameForm(forms.Form):
    name = forms.CharField(max_length=100, label="New name")


class TagMergeForm(forms.Form):
    sources = forms.CharField(
        label="Merge these tags", max_length=1000, help_text="Comma-separated names of the tags to fold in."
    )
    target = forms.CharField(label="into this tag", max_length=100)


class SearchForm(forms.Form):
    """The search page's question and filters; a bad date or an unknown kind is a clear error."""

    q = forms.CharField(label="Search", max_length=200, required=False, strip=True)
    kind = forms.ChoiceField(label="Kind", required=False)
    series = forms.ChoiceField(label="Series", required=False)
    after = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, series, **kwargs):
        from resources.selectors_search import KINDS

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Everything"), *KINDS.items()]
        self.fields["series"].choices = [("", "Any series"), *((s.slug, s.name) for s in series)]
