"""/api/v1/: the meetings side, the OpenAPI schema and its docs (resources/api/urls.py has the library)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from meetings.api import (
    converters,  # noqa: F401  (registers the "id" path converter)
    docs,
    queue,
    views,
)

MEETING = "series/<slug:slug>/meetings/<id:pk>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.api_docs, name="api-docs"),
    path("series/", views.SeriesListView.as_view(), name="api-series-list"),
    path("series/<slug:slug>/", views.SeriesDetailView.as_view(), name="api-series-detail"),
    path("series/<slug:slug>/rota/", views.SeriesRotaView.as_view(), name="api-series-rota"),
    path("series/<slug:slug>/meetings/", views.MeetingListView.as_view(), name="api-meeting-list"),
    path(MEETING, views.MeetingDetailView.as_view(), name="api-meeting-detail"),
    path(f"{MEETING}minutes/", views.MinutesView.as_view(), name="api-minutes"),
    path(f"{MEETING}recap/", views.RecapView.as_view(), name="api-recap"),
    path("research-items/", views.ResearchItemListView.as_view(), name="api-research-list"),
    path("research-items/<id:pk>/", views.ResearchItemDetailView.as_view(), name="api-research-detail"),
    path("research-items/<id:pk>/tick/", views.ResearchItemTickView.as_view(), name="api-research-tick"),
    path(
        "research-items/<id:pk>/untick/", views.ResearchItemUntickView.as_view(), name="api-research-untick"
    ),
    path("research-items/<id:pk>/drop/", views.ResearchItemDropView.as_view(), name="api-research-drop"),
    path(
        "research-items/<id:pk>/reassign/",
        views.ResearchItemReassignView.as_view(),
        name="api-research-reassign",
    ),
    path(
        "series/<slug:slug>/suggestions/",
        queue.SeriesSuggestionListView.as_view(),
        name="api-series-suggestions",
    ),
    path("suggestions/<id:pk>/", queue.SuggestionDetailView.as_view(), name="api-suggestion-detail"),
    path("suggestions/<id:pk>/vote/", queue.SuggestionVoteView.as_view(), name="api-suggestion-vote"),
    path("suggestions/<id:pk>/claim/", queue.SuggestionClaimView.as_view(), name="api-suggestion-claim"),
]
