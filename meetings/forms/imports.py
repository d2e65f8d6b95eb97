import hashlib
import json

from django import forms
from django.core import signing

from meetings.models import Series
from meetings.services.importer import ImportFailed, document_decode, documents_from_zip

MAX_BYTES = 1024 * 1024  # a club's document is tens of kilobytes; a megabyte is plenty
SALT = "meetings.import-preview"


class ImportForm(forms.Form):
    slug = forms.SlugField(
        label="Address of the new series",
        max_length=80,
        help_text="Letters, digits and hyphens: e.g. ml-club makes the address /series/ml-club/.",
    )
    series_name = forms.CharField(
        label="Name of the series",
        max_length=200,
        required=False,
        help_text="Leave empty to use the document's title.",
    )
    document = forms.FileField(
        label="Upload a Markdown file",
        required=False,
        help_text="UTF-8 text, up to 1 MB; or a .zip of Markdown files, one per meeting.",
    )
    text = forms.CharField(
        label="…or paste the document",
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )
    year = forms.IntegerField(
        required=False,
        min_value=1900,
        max_value=2100,
        help_text="For dates written without a year, such as “MONDAY 12th October”.",
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Tags for every imported link, separated by commas."
    )

    def __init__(self, *args, series=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = series
        if series is not None:
            del self.fields["slug"]
            self.fields["series_name"].help_text = f"Leave empty to keep “{series.name}”."

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Series.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A series has this address: import into it from its own page.")
        return slug

    def clean(self):
        data = super().clean()
        upload, text = data.get("document"), data.get("text", "")
        if upload and text.strip():
            raise forms.ValidationError("Upload a file or paste text, not both.")
        if upload:
            if upload.size > MAX_BYTES:
                self.add_error("document", "The file is larger than 1 MB: is it really a Markdown document?")
                return data
            try:
                body = upload.read()
                if upload.name.lower().endswith(".zip"):
                    # One file per meeting: the archive's documents travel through the preview as JSON.
                    documents = documents_from_zip(body, source=upload.name, limit=MAX_BYTES)
                    data["content"] = json.dumps(documents)
                else:
                    data["content"] = document_decode(body, source=upload.name, limit=MAX_BYTES)
            except ImportFailed as error:
                self.add_error("document", str(error))
                return data
            data["source"] = upload.name
        elif text.strip():
            data["content"], data["source"] = text, "pasted text"
        else:
            raise forms.ValidationError("Upload a Markdown file or paste the document.")
        return data

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "source": data["source"],
            # Browsers send line breaks as CRLF: one spelling keeps the preview's hash stable.
            "text": data["content"].replace("\r\n", "\n"),
            "slug": data.get("slug") or self.series.slug,
            "series_name": data.get("series_name", ""),
            "year": data.get("year"),
            "tags": data.get("tags", ""),
        }


def _digest(options: dict) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()


def options_sign(options: dict) -> str:
    """A signed hash of what was previewed, so the confirmed import is exactly that."""
    return signing.dumps(_digest(options), salt=SALT)


class ImportConfirmForm(forms.Form):
    source = forms.CharField(widget=forms.HiddenInput, max_length=300)
    text = forms.CharField(widget=forms.HiddenInput, max_length=MAX_BYTES, strip=False)
    slug = forms.SlugField(widget=forms.HiddenInput, max_length=80)
    series_name = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    year = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)
    digest = forms.CharField(widget=forms.HiddenInput)
    # Chosen on the preview, not part of what was previewed: how to settle the listed clashes.
    prefer_document = forms.BooleanField(
        required=False,
        label="Where a value was changed both on the site and in the document, take the document's",
    )

    same_people = forms.BooleanField(
        required=False, label="The names listed above are each the same person as the fuller name beside them"
    )

    def clean(self):
        data = super().clean()
        options = {name: data.get(name) for name in ("source", "text", "slug", "series_name", "year", "tags")}
        options["text"] = (options["text"] or "").replace("\r\n", "\n")
        try:
            signed = signing.loads(data.get("digest", ""), salt=SALT)
        except signing.BadSignature:
            signed = None
        if signed != _digest(options):
            raise forms.ValidationError("The document changed since the preview: preview it again.")
        data["options"] = options
        return data


def options_documents(options: dict) -> list[tuple[str, str]]:
    """The (name, text) documents a preview's options carry: one, or an archive's several."""
    if options["source"].lower().endswith(".zip"):
        return [(name, text) for name, text in json.loads(options["text"])]
    return [(options["source"], options["text"])]


def tag_list(text: str) -> list[str]:
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]
