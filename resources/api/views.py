"""API views for the library and reading lists; the same rules (resources/rules.py) as the pages."""

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from meetings.api.base import ApiView
from meetings.selectors import series_visible_to
from resources import selectors
from resources.api import serializers as s
from resources.models import ReadingList, ReadingListItem
from resources.services import exports, readinglists
from resources.services import library as library_services

# Resources ---------------------------------------------------------------------------------------


class ResourceListView(ApiView):
    rules_perms = {"POST": "resources.add_resource"}
    rules_denied = {"POST": "Only members can add to the library."}

    @extend_schema(
        summary="The library, filtered",
        parameters=[s.ResourceFilterSerializer],
        responses=s.ResourceSerializer(many=True),
    )
    def get(self, request):
        query = self.query(s.ResourceFilterSerializer)
        filters = selectors.LibraryFilters(
            tags=query.get("tag", []),
            kind=query.get("kind", ""),
            health=query.get("health", ""),
            series=query.get("series", ""),
            added_by=query.get("added_by", ""),
            q=query.get("q", "").strip(),
            sort=query.get("sort", "added"),
        )
        qs = selectors.resources_filter(user=request.user, filters=filters)
        if "added_after" in query:
            qs = qs.filter(created_at__gt=query["added_after"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ResourceSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a link to the library",
        description=(
            "201 with the new resource; or 200 with the resource already in the library when the "
            "link normalises to one it has (the given tags are added to it)."
        ),
        request=s.ResourceCreateSerializer,
        responses={
            201: OpenApiResponse(s.ResourceDetailSerializer, description="Added."),
            200: OpenApiResponse(s.ResourceDetailSerializer, description="Already in the library."),
        },
    )
    def post(self, request):
        self.require(None)
        data = self.body(s.ResourceCreateSerializer)
        resource, created = library_services.resource_add(
            url=data["url"],
            by=request.user,
            title=data.get("title", ""),
            kind=data.get("kind", ""),
            tags=data.get("tags", []),
            notes=data.get("notes", ""),
        )
        resource = selectors.resource_get_visible(user=request.user, pk=resource.pk)
        return Response(
            s.ResourceDetailSerializer(resource).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ResourceDetailView(ApiView):
    rules_perms = {"PATCH": "resources.change_resource", "DELETE": "resources.delete_resource"}
    rules_denied = {
        "PATCH": "Only members can edit the library.",
        "DELETE": "Only organisers can delete resources.",
    }

    @extend_schema(
        summary="A resource, with its identifiers, metadata and link health",
        responses=s.ResourceDetailSerializer,
    )
    def get(self, request, pk):
        resource = selectors.resource_get_visible(user=request.user, pk=pk)
        return Response(s.ResourceDetailSerializer(resource).data)

    @extend_schema(
        summary="Edit a resource's title, kind, tags or notes",
        request=s.ResourceUpdateSerializer,
        responses=s.ResourceDetailSerializer,
    )
    def patch(self, request, pk):
        resource = selectors.resource_get_visible(user=request.user, pk=pk)
        self.require(resource)
        data = self.body(s.ResourceUpdateSerializer)
        library_services.resource_update(
            resource=resource,
            title=data.get("title", resource.title),
            kind=data.get("kind", resource.kind),
            tags=data["tags"] if "tags" in data else [tag.name for tag in resource.tags.all()],
            notes=data.get("notes", resource.notes),
            by=request.user,
        )
        resource = selectors.resource_get_visible(user=request.user, pk=pk)
        return Response(s.ResourceDetailSerializer(resource).data)

    @extend_schema(summary="Delete a resource from the library (organisers)", responses={204: None})
    def delete(self, request, pk):
        resource = selectors.resource_get_visible(user=request.user, pk=pk)
        self.require(resource)
        library_services.resource_delete(resource=resource)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Reading lists -----------------------------------------------------------------------------------


def _detail(user, pk) -> ReadingList:
    return selectors.readinglist_get_visible(user=user, pk=pk)


def _detail_data(reading_list: ReadingList) -> dict:
    items = list(reading_list.items.all())
    reading_list.item_count = len(items)
    return s.ReadingListDetailSerializer(reading_list).data


class ReadingListListView(ApiView):
    rules_perms = {"POST": "resources.add_readinglist"}
    rules_denied = {"POST": "Only members can make reading lists."}

    @extend_schema(summary="The reading lists you can see", responses=s.ReadingListSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.readinglists_list(user=request.user).order_by("title", "pk"))
        return self.get_paginated_response(s.ReadingListSerializer(page, many=True).data)

    @extend_schema(
        summary="Make a reading list",
        request=s.ReadingListCreateSerializer,
        responses={201: s.ReadingListDetailSerializer},
    )
    def post(self, request):
        self.require(None)
        data = self.body(s.ReadingListCreateSerializer)
        series = None
        if data.get("series"):
            series = series_visible_to(request.user).filter(slug=data["series"]).first()
            if series is None:
                raise exceptions.ValidationError({"series": ["No such series."]})
            if not request.user.has_perm("resources.change_readinglist", ReadingList(series=series)):
                raise exceptions.ValidationError({"series": ["Only the series' members make its lists."]})
        reading_list = readinglists.readinglist_save(
            reading_list=ReadingList(
                title=data["title"],
                description=data.get("description", ""),
                series=series,
                is_public=data.get("is_public", True),
            ),
            by=request.user,
        )
        return Response(_detail_data(_detail(request.user, reading_list.pk)), status=status.HTTP_201_CREATED)


class ReadingListDetailView(ApiView):
    @extend_schema(summary="A reading list with its items in order", responses=s.ReadingListDetailSerializer)
    def get(self, request, pk):
        return Response(_detail_data(_detail(request.user, pk)))


class ReadingListItemsView(ApiView):
    rules_perms = {"POST": "resources.change_readinglist"}
    rules_denied = {"POST": "Only members can edit reading lists."}

    @extend_schema(
        summary="Add a resource (by id, or a link) to the end of the list",
        description="201 with the new item; 200 with the item when the resource is already on the list.",
        request=s.ReadingListAddSerializer,
        responses={
            201: OpenApiResponse(s.ReadingListItemSerializer, description="Added."),
            200: OpenApiResponse(s.ReadingListItemSerializer, description="Already on the list."),
        },
    )
    def post(self, request, pk):
        reading_list = _detail(request.user, pk)
        self.require(reading_list)
        data = self.body(s.ReadingListAddSerializer)
        if "resource" in data:
            resource = selectors.resources_visible_to(request.user).filter(pk=data["resource"]).first()
            if resource is None:
                raise exceptions.ValidationError({"resource": ["No such resource."]})
        else:
            resource, _ = library_services.resource_add(
                url=data["url"], by=request.user, library=reading_list.series_id is None
            )
        created = not ReadingListItem.objects.filter(reading_list=reading_list, resource=resource).exists()
        item = readinglists.readinglist_add(
            reading_list=reading_list, resource=resource, note=data.get("note", ""), by=request.user
        )
        item = (
            ReadingListItem.objects.select_related("resource")
            .prefetch_related("resource__tags")
            .get(pk=item.pk)
        )
        return Response(
            s.ReadingListItemSerializer(item).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReadingListItemView(ApiView):
    rules_perms = {"DELETE": "resources.change_readinglist"}
    rules_denied = {"DELETE": "Only members can edit reading lists."}

    @extend_schema(summary="Take a resource off the list (it stays in the library)", responses={204: None})
    def delete(self, request, pk, item_pk):
        reading_list = _detail(request.user, pk)
        self.require(reading_list)
        item = next((item for item in reading_list.items.all() if item.pk == item_pk), None)
        if item is None:
            raise exceptions.NotFound("No such item on this list.")
        readinglists.readinglist_remove(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadingListReorderView(ApiView):
    rules_perms = {"POST": "resources.change_readinglist"}
    rules_denied = {"POST": "Only members can edit reading lists."}

    @extend_schema(
        summary="Put the list's items in a new order",
        request=s.ReadingListReorderSerializer,
        responses=s.ReadingListDetailSerializer,
    )
    def post(self, request, pk):
        reading_list = _detail(request.user, pk)
        self.require(reading_list)
        data = self.body(s.ReadingListReorderSerializer)
        try:
            readinglists.readinglist_reorder(reading_list=reading_list, item_ids=data["items"])
        except ValueError as error:
            raise exceptions.ValidationError({"items": [str(error)]}) from None
        return Response(_detail_data(_detail(request.user, pk)))


# Exports -----------------------------------------------------------------------------------------


class _JsonErrors(DefaultContentNegotiation):
    """Exports answer their own media type; errors always JSON, whatever the client accepts."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _ExportView(ApiView):
    content_negotiation_class = _JsonErrors
    pagination_class = None
    media_type = ""

    def export(self, resources: list) -> str:
        raise NotImplementedError

    def get(self, request, pk):
        reading_list = _detail(request.user, pk)
        resources = [item.resource for item in reading_list.items.all()]
        response = HttpResponse(self.export(resources), content_type=f"{self.media_type}; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="reading-list-{reading_list.pk}.{self.suffix}"'
        return response


class ReadingListBibtexView(_ExportView):
    media_type, suffix = "application/x-bibtex", "bib"

    def export(self, resources):
        return exports.bibtex_export(resources)

    @extend_schema(
        summary="The list as BibTeX",
        responses={(200, "application/x-bibtex"): OpenApiResponse(OpenApiTypes.STR, description="BibTeX.")},
    )
    def get(self, request, pk):
        return super().get(request, pk)


class ReadingListCslJsonView(_ExportView):
    media_type, suffix = "application/vnd.citationstyles.csl+json", "json"

    def export(self, resources):
        return json.dumps(exports.csljson_export(resources), ensure_ascii=False, indent=2)

    @extend_schema(
        summary="The list as CSL-JSON",
        responses={
            (200, "application/vnd.citationstyles.csl+json"): OpenApiResponse(
                s.CslItemSerializer(many=True), description="CSL-JSON items, in the list's order."
            )
        },
    )
    def get(self, request, pk):
        return super().get(request, pk)
