"""/api/v1/: the library and reading lists."""

from django.urls import path

from meetings.api import converters  # noqa: F401  (registers the "id" path converter)
from resources.api import views

urlpatterns = [
    path("resources/", views.ResourceListView.as_view(), name="api-resource-list"),
    path("resources/<id:pk>/", views.ResourceDetailView.as_view(), name="api-resource-detail"),
    path("reading-lists/", views.ReadingListListView.as_view(), name="api-readinglist-list"),
    path("reading-lists/<id:pk>/", views.ReadingListDetailView.as_view(), name="api-readinglist-detail"),
    path("reading-lists/<id:pk>/items/", views.ReadingListItemsView.as_view(), name="api-readinglist-items"),
    path(
        "reading-lists/<id:pk>/items/<id:item_pk>/",
        views.ReadingListItemView.as_view(),
        name="api-readinglist-item",
    ),
    path(
        "reading-lists/<id:pk>/reorder/",
        views.ReadingListReorderView.as_view(),
        name="api-readinglist-reorder",
    ),
    path(
        "reading-lists/<id:pk>/bibtex/", views.ReadingListBibtexView.as_view(), name="api-readinglist-bibtex"
    ),
    path(
        "reading-lists/<id:pk>/csl-json/",
        views.ReadingListCslJsonView.as_view(),
        name="api-readinglist-csljson",
    ),
]
