from django.urls import path

from resources import feeds, views

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/add/", views.resource_add, name="resource-add"),
    path("library/tags/", views.tags, name="library-tags"),
    path("library/feed.atom", feeds.LibraryFeed(), name="library-feed"),
    path("library/tags/<str:tag>/feed.atom", feeds.TagFeed(), name="library-tag-feed"),
    path("library/<int:pk>/", views.resource_detail, name="resource-detail"),
    path("library/<int:pk>/status/", views.resource_status, name="resource-status"),
    path("library/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("library/<int:pk>/add-to-list/", views.resource_add_to_list, name="resource-add-to-list"),
    path("library/<int:pk>/adopt-redirect/", views.resource_adopt_redirect, name="resource-adopt-redirect"),
    path("library/<int:pk>/delete/", views.resource_delete, name="resource-delete"),
    path("search/", views.search, name="search"),
    path("lists/", views.readinglist_list, name="readinglist-list"),
    path("lists/new/", views.readinglist_create, name="readinglist-create"),
    path("lists/<int:pk>/", views.readinglist_detail, name="readinglist-detail"),
    path("lists/<int:pk>/edit/", views.readinglist_edit, name="readinglist-edit"),
    path("lists/<int:pk>/delete/", views.readinglist_delete, name="readinglist-delete"),
    path("lists/<int:pk>/add/", views.readinglist_add, name="readinglist-add"),
    path("lists/<int:pk>/items/<int:item_pk>/remove/", views.readinglist_remove, name="readinglist-remove"),
    path("lists/<int:pk>/items/<int:item_pk>/move/", views.readinglist_move, name="readinglist-move"),
    path("lists/<int:pk>/items/<int:item_pk>/note/", views.readinglist_note, name="readinglist-note"),
    path("lists/<int:pk>/feed.atom", feeds.ReadingListFeed(), name="readinglist-feed"),
    path("lists/<int:pk>/export.<str:fmt>", views.readinglist_export, name="readinglist-export"),
]

urlpatterns += [
    path("library/health/", views.link_health, name="link-health"),
    path("library/<int:pk>/check/", views.resource_check, name="resource-check"),
]
