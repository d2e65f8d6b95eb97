from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from meetings.feeds import CleanFeed
from resources import selectors

FEED_SIZE = 50


class LibraryFeed(CleanFeed):
    """Atom feed of the resources most recently added to the library."""

    feed_type = Atom1Feed
    title = "Library: new resources"
    link = "/library/"
    subtitle = "Papers, videos, notebooks and tutorials the club added."

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return None

    def _resources(self):
        return (
            selectors.resources_visible_to(self.request.user)
            .prefetch_related("tags")
            .order_by("-created_at", "-pk")
        )

    def items(self, obj):
        return self._resources()[:FEED_SIZE]

    def item_title(self, resource):
        return resource.title or resource.url

    def item_description(self, resource):
        # Fetched or typed text is escaped; notes are stored sanitised.
        url = escape(resource.url)
        parts = [f'<p>{escape(resource.get_kind_display())}: <a href="{url}">{url}</a></p>']
        if resource.abstract:
            parts.append(f"<p>{escape(resource.abstract)}</p>")
        if resource.notes_html:
            parts.append(resource.notes_html)
        tags = ", ".join(escape(t.name) for t in resource.tags.all())
        if tags:
            parts.append(f"<p>Tags: {tags}</p>")
        return "".join(parts)

    def item_link(self, resource):
        return resource.get_absolute_url()

    def item_pubdate(self, resource):
        return resource.created_at

    def item_updateddate(self, resource):
        return resource.updated_at

    def item_categories(self, resource):
        return [t.name for t in resource.tags.all()]


class TagFeed(LibraryFeed):
    def get_object(self, request, tag):
        self.request = request
        # A tag only hidden resources carry is no tag at all to this user.
        found = selectors.tags_visible_to(request.user).filter(name__iexact=tag).first()
        if found is None:
            raise Http404("No such tag.")
        return found

    def title(self, tag):
        return f"Library: new resources tagged {tag.name}"

    def link(self, tag):
        return f"/library/?tag={tag.name}"

    def items(self, tag):
        return self._resources().filter(tags=tag)[:FEED_SIZE]


class ReadingListFeed(LibraryFeed):
    def get_object(self, request, pk):
        self.request = request
        return selectors.readinglist_get_visible(user=request.user, pk=pk)

    def title(self, reading_list):
        return f"Reading list: {reading_list.title}"

    def link(self, reading_list):
        return reading_list.get_absolute_url()

    def subtitle(self, reading_list):
        return reading_list.description or None

    def items(self, reading_list):
        items = sorted(reading_list.items.all(), key=lambda item: item.added_at, reverse=True)
        return [item.resource for item in items[:FEED_SIZE]]
