from django.contrib import admin

from resources.models import Mention, ReadingList, ReadingListItem, Resource


class MentionInline(admin.TabularInline):
    model = Mention
    extra = 0
    autocomplete_fields = ("meeting",)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "health", "metadata_state", "created_at", "added_by")
    list_filter = ("kind", "health", "metadata_state", "created_at")
    search_fields = ("title", "url", "notes", "abstract", "arxiv_id", "doi")
    date_hierarchy = "created_at"
    list_select_related = ("added_by",)
    readonly_fields = ("search_text", "created_at", "updated_at")
    exclude = ("search_vector",)
    inlines = [MentionInline]


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("resource", "meeting", "section", "created_at")
    list_filter = ("section", "meeting__series")
    search_fields = ("resource__title", "resource__url", "meeting__title")
    autocomplete_fields = ("resource", "meeting")
    list_select_related = ("resource", "meeting__series")


class ReadingListItemInline(admin.TabularInline):
    model = ReadingListItem
    extra = 0
    autocomplete_fields = ("resource",)
    fields = ("position", "resource", "note")


@admin.register(ReadingList)
class ReadingListAdmin(admin.ModelAdmin):
    list_display = ("title", "series", "is_public", "created_by", "updated_at")
    list_filter = ("is_public", "series")
    search_fields = ("title", "description")
    inlines = [ReadingListItemInline]
