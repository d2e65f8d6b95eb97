from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from meetings import selectors, selectors_queue
from meetings.text import clean_deep


class CleanFeed(Feed):
    """A feed whose every text is cleaned of the characters XML refuses.

    Input is cleaned since issue 13 and a migration cleaned the rows stored before; this keeps
    one stray character (written behind the services' back) from making the whole feed a 500.
    """

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed = clean_deep(feed.feed)
        feed.items = [clean_deep(item) for item in feed.items]
        return feed


class SeriesMinutesFeed(CleanFeed):
    """Atom feed of a series' meetings that have minutes or a recap."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        # Members-only series 404 for visitors, exactly as their pages do.
        return selectors.series_get_visible(user=request.user, slug=slug)

    def title(self, series):
        return f"{series.name}: minutes"

    def link(self, series):
        return series.get_absolute_url()

    def subtitle(self, series):
        return f"Minutes and recaps of {series.name}"

    def items(self, series):
        return selectors.meetings_with_minutes_feed(series=series)

    def item_title(self, meeting):
        return meeting.label

    def item_description(self, meeting):
        # Stored, sanitised HTML; the feed framework escapes it into the Atom content.
        parts = []
        for document in meeting.documents.all():
            parts.append(f"<h2>{document.get_kind_display()}</h2>{document.body_html}")
        return "".join(parts)

    def item_link(self, meeting):
        return meeting.get_absolute_url()

    def item_pubdate(self, meeting):
        return meeting.start

    def item_updateddate(self, meeting):
        dates = [d.updated_at for d in meeting.documents.all() if d.updated_at]
        return max(dates) if dates else meeting.updated_at

    def item_author_name(self, meeting):
        speakers = [talk.speaker_name for talk in meeting.talks.all()]
        return ", ".join(speakers) or None


class SeriesQueueFeed(CleanFeed):
    """Atom feed of the newest suggestions in a series' paper queue."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return selectors.series_get_visible(user=request.user, slug=slug)

    def title(self, series):
        return f"{series.name}: paper queue"

    def link(self, series):
        from django.urls import reverse

        return reverse("series-queue", kwargs={"slug": series.slug})

    def subtitle(self, series):
        return f"Papers suggested for {series.name} to read"

    def items(self, series):
        return selectors_queue.suggestions_feed(series=series)

    def item_title(self, suggestion):
        return suggestion.resource.title or suggestion.resource.url

    def item_description(self, suggestion):
        # The pitch is stored sanitised; the link and who suggested it are escaped here.
        from django.utils.html import format_html

        head = format_html(
            '<p><a href="{}">{}</a>{}</p>',
            suggestion.resource.url,
            suggestion.resource.url,
            format_html(" · suggested by {}", suggestion.suggested_by.name)
            if suggestion.suggested_by
            else "",
        )
        return head + suggestion.pitch_html

    def item_link(self, suggestion):
        return suggestion.get_absolute_url()

    def item_pubdate(self, suggestion):
        return suggestion.created_at

    def item_updateddate(self, suggestion):
        return suggestion.updated_at

    def item_author_name(self, suggestion):
        return suggestion.suggested_by.name if suggestion.suggested_by else None
