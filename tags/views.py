"""Thin tag endpoints: parse with a serializer, call one service or selector, shape the answer.

Every tag endpoint needs full_sync (lower tiers keep no tags, and saying so beats an empty
list); tags/urls.py maps the client paths onto the actions of ``TagViewSet``.
"""

import uuid

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import request_user
from accounts.permissions import FullSyncTier
from reflective.lib.fields import validated_input
from tags import selectors, services
from tags.serializers import (
    TagChangesSerializer,
    TagCleanupQuerySerializer,
    TagCleanupResultSerializer,
    TagCreateSerializer,
    TagListQuerySerializer,
    TagPageSerializer,
    TagSerializer,
    TagUpdateSerializer,
)

SCHEMA_TAGS = ["tags"]


LIST_OR_CHANGES = PolymorphicProxySerializer(
    component_name="TagListOrChanges",
    serializers=[TagPageSerializer, TagChangesSerializer],
    resource_type_field_name=None,
    many=False,  # a page object, though the action is `list`
)


NAME_TOO_LARGE = OpenApiResponse(description="ciphertext_too_large: encrypted_name over the limit")
TIER_ERROR = OpenApiResponse(
    description="tier_required: the account is below full_sync (required_tier, current_tier)"
)


class TagViewSet(viewsets.ViewSet):
    permission_classes = [FullSyncTier]

    @extend_schema(
        tags=SCHEMA_TAGS,
        parameters=[TagListQuerySerializer],
        responses={
            200: LIST_OR_CHANGES,
            403: TIER_ERROR,
            410: OpenApiResponse(description="resync_required: pull again from cursor 0"),
        },
        description=(
            "Without `cursor`: the live tags, most recently used first, paged by `offset`. "
            "With `cursor`: every tag write after that feed position (tombstones included) in "
            "feed order, with `next_cursor` and an exact `has_more`; 410 `resync_required` "
            "when the cursor is older than pruned history. full_sync only."
        ),
    )
    def list(self, request: Request) -> Response:
        user = request_user(request)
        query = validated_input(TagListQuerySerializer, request.query_params)
        if "cursor" in query:
            changes = selectors.tag_changes_since(
                user=user, cursor=query["cursor"], limit=query["limit"]
            )
            return Response(TagChangesSerializer(changes).data)
        page = selectors.tag_list(user=user, limit=query["limit"], offset=query["offset"])
        return Response(TagPageSerializer(page).data)

    @extend_schema(
        tags=SCHEMA_TAGS,
        request=TagCreateSerializer,
        responses={201: TagSerializer, 200: TagSerializer, 403: TIER_ERROR, 422: NAME_TOO_LARGE},
        description=(
            "Create a tag from its encrypted name. If the user already has a tag with the same "
            "name_digest, that tag is returned (200) with last_used_at set to now."
        ),
    )
    def create(self, request: Request) -> Response:
        data = validated_input(TagCreateSerializer, request.data)
        creation = services.tag_create(user=request_user(request), **data)
        code = status.HTTP_201_CREATED if creation.created else status.HTTP_200_OK
        return Response(TagSerializer(creation.tag).data, status=code)

    @extend_schema(
        tags=SCHEMA_TAGS,
        request=TagUpdateSerializer,
        responses={200: TagSerializer, 403: TIER_ERROR, 422: NAME_TOO_LARGE},
    )
    def partial_update(self, request: Request, tag_id: uuid.UUID) -> Response:
        data = validated_input(TagUpdateSerializer, request.data)
        tag = services.tag_update(user=request_user(request), tag_id=tag_id, **data)
        return Response(TagSerializer(tag).data)

    @extend_schema(
        tags=SCHEMA_TAGS,
        request=None,
        responses={200: TagSerializer, 403: TIER_ERROR},
        description="Delete a tag; answers with its tombstone (a repeated delete gets the same).",
    )
    def destroy(self, request: Request, tag_id: uuid.UUID) -> Response:
        tombstone = services.tag_delete(user=request_user(request), tag_id=tag_id)
        return Response(TagSerializer(tombstone).data)

    @extend_schema(tags=SCHEMA_TAGS, request=None, responses={200: TagSerializer, 403: TIER_ERROR})
    def touch(self, request: Request, tag_id: uuid.UUID) -> Response:
        tag = services.tag_touch(user=request_user(request), tag_id=tag_id)
        return Response(TagSerializer(tag).data)

    @extend_schema(
        tags=SCHEMA_TAGS,
        request=None,
        parameters=[TagCleanupQuerySerializer],
        responses={200: TagCleanupResultSerializer, 403: TIER_ERROR},
        description="Delete (tombstone) the tags not used for `days` days or more.",
    )
    def cleanup(self, request: Request) -> Response:
        query = validated_input(TagCleanupQuerySerializer, request.query_params)
        deleted = services.tag_cleanup(user=request_user(request), days=query["days"])
        return Response({"deleted_count": deleted})
