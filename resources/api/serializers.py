"""The library's JSON: resources with identifiers, metadata and health; reading lists."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetings.api import fields
from meetings.api.serializers import UserRefSerializer
from resources.models import Mention, Resource
from resources.selectors import SORTS
from resources.services.links import InvalidLink, parse_link

MAX_TAGS = 20


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The name as shown.")
    given = serializers.CharField(help_text="Given names, when known.")
    family = serializers.CharField(help_text="Family name, when known.")


def _authors(value) -> list[dict]:
    """Fetched authors as {"name", "given", "family"}, whatever shape the source gave them in."""
    authors = []
    for author in value if isinstance(value, list) else []:
        if isinstance(author, dict):
            given = str(author.get("given") or "").strip()
            family = str(author.get("family") or "").strip()
            name = str(author.get("name") or author.get("literal") or f"{given} {family}").strip()
        else:
            given, family, name = "", "", str(author or "").strip()
        if name:
            authors.append({"name": name, "given": given, "family": family})
    return authors


class IdentifiersSerializer(serializers.Serializer):
    arxiv_id = serializers.CharField(help_text="e.g. 1706.03762 or hep-th/9901001; empty when none.")
    arxiv_version = serializers.IntegerField(allow_null=True)
    doi = serializers.CharField(help_text="Lower-cased; empty when none.")
    youtube_id = serializers.CharField()


class MetadataSerializer(serializers.Serializer):
    state = serializers.ChoiceField(source="metadata_state", choices=Resource.MetadataState.choices)
    fetched_at = serializers.DateTimeField(source="metadata_fetched_at", allow_null=True)
    authors = serializers.SerializerMethodField()
    abstract = serializers.CharField()
    published_date = serializers.DateField(allow_null=True)
    published_date_precision = serializers.CharField(help_text="year, month or day; empty when unknown.")
    venue = serializers.CharField()
    publisher = serializers.CharField()
    container_type = serializers.CharField()
    description = serializers.CharField(help_text="From the page's head, for links without identifiers.")

    @extend_schema_field(AuthorSerializer(many=True))
    def get_authors(self, resource):
        return _authors(resource.authors)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(source="health", choices=Resource.Health.choices)
    is_broken = serializers.BooleanField(help_text="Called broken only after repeated failures.")
    last_checked_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    failing_since = serializers.DateTimeField(allow_null=True)
    permanent_redirect_url = serializers.CharField(
        help_text="Where the link now permanently leads, if moved."
    )


class TagsMixin(serializers.Serializer):
    tags = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, resource):
        # Sorted here, not in SQL, so the selectors' prefetch_related("tags") is used.
        return sorted((tag.name for tag in resource.tags.all()), key=str.lower)


class ResourceSummarySerializer(TagsMixin):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The normalised URL: the library's key.")
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Resource.Kind.choices)


class ResourceSerializer(ResourceSummarySerializer):
    notes = serializers.CharField(help_text="Markdown.")
    notes_html = serializers.CharField()
    added_by = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    identifiers = IdentifiersSerializer(source="*")
    metadata = MetadataSerializer(source="*")
    health = HealthSerializer(source="*")
    web_url = serializers.CharField(source="get_absolute_url")


class MentionSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting_id")
    series = serializers.CharField(source="meeting.series.slug")
    section = serializers.ChoiceField(choices=Mention.Section.choices)


class ReadingListRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ResourceDetailSerializer(ResourceSerializer):
    mentions = MentionSerializer(many=True, help_text="Meetings (that you can see) that mention it.")
    reading_lists = ReadingListRefSerializer(many=True, help_text="Reading lists (that you can see) with it.")


class ResourceFilterSerializer(serializers.Serializer):
    tag = serializers.ListField(
        child=fields.Text(max_length=100), max_length=10, required=False, help_text="Every tag must match."
    )
    kind = fields.Choice(choices=Resource.Kind.choices, required=False)
    health = fields.Choice(choices=Resource.Health.choices, required=False)
    series = fields.Text(
        max_length=80, required=False, validators=[fields.SLUG], help_text="Mentioned in this series."
    )
    added_by = fields.Text(max_length=150, required=False, help_text="A username.")
    added_after = fields.DateTime(required=False, help_text="Added to the library after this time.")
    q = fields.Text(max_length=200, required=False, help_text="Search title, authors, abstract, notes, tags.")
    sort = fields.Choice(
        choices=list(SORTS), required=False, help_text="Default: newest first (best match with q)."
    )


def _validate_link(value: str) -> None:
    try:
        parse_link(value)
    except InvalidLink as error:
        raise serializers.ValidationError(str(error)) from None
    except (ValueError, UnicodeError):
        raise serializers.ValidationError("This is not a link the library can read.") from None


class ResourceUpdateSerializer(serializers.Serializer):
    title = fields.Text(
        max_length=500, allow_blank=True, required=False, help_text="Yours: kept over metadata."
    )
    kind = fields.Choice(choices=Resource.Kind.choices, required=False)
    tags = fields.TextList(
        max_item_length=100, max_length=MAX_TAGS, required=False, help_text="Replaces the tags."
    )
    notes = fields.Markdown(allow_blank=True, required=False, help_text="Markdown.")


class ResourceCreateSerializer(ResourceUpdateSerializer):
    url = fields.Text(
        max_length=2000,
        validators=[_validate_link],
        help_text="A URL, an arXiv id or arXiv: string, or a DOI; normalised before it is stored.",
    )
    tags = fields.TextList(
        max_item_length=100, max_length=MAX_TAGS, required=False, help_text="Added to the resource's tags."
    )


# Reading lists -----------------------------------------------------------------------------------


class ReadingListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(help_text="Markdown.")
    description_html = serializers.CharField()
    series = serializers.SerializerMethodField()
    is_public = serializers.BooleanField()
    created_by = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    item_count = serializers.IntegerField()
    web_url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="The series' slug, if any."))
    def get_series(self, reading_list):
        return reading_list.series.slug if reading_list.series_id else None


class ReadingListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField(help_text="1 for the first item.")
    note = serializers.CharField(help_text="Markdown.")
    note_html = serializers.CharField()
    added_at = serializers.DateTimeField()
    resource = ResourceSummarySerializer()


class ReadingListDetailSerializer(ReadingListSerializer):
    items = ReadingListItemSerializer(many=True, help_text="In the list's order.")


class ReadingListCreateSerializer(serializers.Serializer):
    title = fields.Text(max_length=200)
    description = fields.Markdown(allow_blank=True, required=False, help_text="Markdown.")
    series = fields.Text(
        max_length=80, allow_null=True, required=False, validators=[fields.SLUG], help_text="A series' slug."
    )
    is_public = fields.Boolean(required=False, help_text="Default: true.")


class ReadingListAddSerializer(serializers.Serializer):
    resource = fields.Id(required=False, help_text="A resource's id; or give `url` instead.")
    url = fields.Text(
        max_length=2000,
        required=False,
        validators=[_validate_link],
        help_text="A link: added to the library too.",
    )
    note = fields.Markdown(allow_blank=True, required=False, help_text="Markdown.")

    def validate(self, data):
        if ("resource" in data) == ("url" in data):
            raise serializers.ValidationError("Give either `resource` or `url`.")
        return data


class ReadingListReorderSerializer(serializers.Serializer):
    items = fields.IdList(
        max_length=10_000, help_text="Every item id of the list, once each, in the new order."
    )


class CslItemSerializer(serializers.Serializer):
    """One CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)."""

    id = serializers.CharField(help_text="The citation key, as in the BibTeX export.")
    type = serializers.CharField()
    URL = serializers.CharField()
