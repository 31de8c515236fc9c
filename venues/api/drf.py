"""First-party API: my venue lists (wishlist, favourites, custom lists) and the venues on them."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agnt.api.common import service_errors
from venues import services
from venues.models import UserList, UserListItem, UserListKind, Venue, VenueStatus


class ListItemSerializer(serializers.Serializer):
    venue = serializers.SlugField(source="venue.slug")
    venue_name = serializers.CharField(source="venue.name")
    note = serializers.CharField()
    position = serializers.IntegerField()
    added_at = serializers.DateTimeField(source="created_at")


class UserListSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    kind = serializers.CharField()
    description = serializers.CharField()
    is_public = serializers.BooleanField()
    venue_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class UserListDetailSerializer(UserListSerializer):
    items = ListItemSerializer(many=True)


class UserListCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=UserListKind.choices, default=UserListKind.CUSTOM)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    is_public = serializers.BooleanField(default=False)


class UserListUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_public = serializers.BooleanField(required=False)


class ListItemAddSerializer(serializers.Serializer):
    venue = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Venue.objects.exclude(status=VenueStatus.DRAFT),
        help_text="The venue's slug.",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _my_lists(user):
    return UserList.objects.filter(user=user).annotate(venue_count=Count("items"))


def _my_list(user, pk) -> UserList:
    items = UserListItem.objects.select_related("venue").order_by("position", "created_at")
    return get_object_or_404(_my_lists(user).prefetch_related(Prefetch("items", queryset=items)), pk=pk)


class UserListListView(APIView):
    @extend_schema(responses=UserListSerializer(many=True), summary="My venue lists")
    def get(self, request):
        return Response(UserListSerializer(_my_lists(request.user).order_by("created_at"), many=True).data)

    @extend_schema(request=UserListCreateSerializer, responses={201: UserListDetailSerializer}, summary="Create a list")
    def post(self, request):
        data = UserListCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors(
            "kind" if data.validated_data["kind"] != UserListKind.CUSTOM else "name", services.UserListError
        ):
            user_list = services.user_list_create(user=request.user, **data.validated_data)
        return Response(
            UserListDetailSerializer(_my_list(request.user, user_list.pk)).data, status=status.HTTP_201_CREATED
        )


class UserListDetailView(APIView):
    @extend_schema(
        responses={200: UserListDetailSerializer, 404: OpenApiResponse(description="No such list of mine")},
        summary="One of my lists with its venues",
    )
    def get(self, request, pk):
        return Response(UserListDetailSerializer(_my_list(request.user, pk)).data)

    @extend_schema(
        request=UserListUpdateSerializer,
        responses={200: UserListDetailSerializer},
        summary="Rename, describe or share a list",
    )
    def patch(self, request, pk):
        user_list = _my_list(request.user, pk)
        data = UserListUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with service_errors("name", services.UserListError):
            services.user_list_update(user_list=user_list, **data.validated_data)
        return Response(UserListDetailSerializer(_my_list(request.user, pk)).data)

    @extend_schema(responses={204: None}, summary="Delete a list")
    def delete(self, request, pk):
        services.user_list_delete(user_list=_my_list(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserListVenuesView(APIView):
    @extend_schema(
        request=ListItemAddSerializer,
        responses={201: UserListDetailSerializer},
        summary="Put a venue on a list (again: only its note changes)",
    )
    def post(self, request, pk):
        user_list = _my_list(request.user, pk)
        data = ListItemAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors("venue", services.UserListError):
            services.user_list_add_venue(
                user_list=user_list, venue=data.validated_data["venue"], note=data.validated_data["note"]
            )
        return Response(UserListDetailSerializer(_my_list(request.user, pk)).data, status=status.HTTP_201_CREATED)


class UserListVenueDetailView(APIView):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such list of mine, or the venue is not on it")},
        summary="Take a venue off a list",
    )
    def delete(self, request, pk, venue_slug):
        user_list = _my_list(request.user, pk)
        venue = get_object_or_404(Venue, slug=venue_slug)
        if not services.user_list_remove_venue(user_list=user_list, venue=venue):
            return Response({"detail": f"{venue_slug} is not on this list"}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
