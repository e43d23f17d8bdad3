"""Thin tag endpoints: parse with a serializer, call one service or selector, shape the answer."""

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from tags import selectors, services
from tags.serializers import (
    TagCleanupQuerySerializer,
    TagCleanupResultSerializer,
    TagCreateSerializer,
    TagListQuerySerializer,
    TagPageSerializer,
    TagSerializer,
    TagUpdateSerializer,
    tag_input_validated,
)

SCHEMA_TAGS = ["tags"]


def _me(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _query(serializer_class: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TagListView(APIView):
    @extend_schema(
        tags=SCHEMA_TAGS,
        parameters=[TagListQuerySerializer],
        responses={200: TagPageSerializer},
        description="The user's tags, most recently used first (full_sync only).",
    )
    def get(self, request: Request) -> Response:
        page = selectors.tag_list(user=_me(request), **_query(TagListQuerySerializer, request))
        return Response(TagPageSerializer(page).data)

    @extend_schema(
        tags=SCHEMA_TAGS,
        request=TagCreateSerializer,
        responses={201: TagSerializer, 200: TagSerializer},
        description=(
            "Create a tag from its encrypted name. If the user already has a tag with the same "
            "name_digest, that tag is returned (200) with last_used_at set to now."
        ),
    )
    def post(self, request: Request) -> Response:
        data = tag_input_validated(TagCreateSerializer(data=request.data))
        creation = services.tag_create(user=_me(request), **data)
        code = status.HTTP_201_CREATED if creation.created else status.HTTP_200_OK
        return Response(TagSerializer(creation.tag).data, status=code)


class TagDetailView(APIView):
    @extend_schema(tags=SCHEMA_TAGS, request=TagUpdateSerializer, responses={200: TagSerializer})
    def patch(self, request: Request, tag_id: uuid.UUID) -> Response:
        data = tag_input_validated(TagUpdateSerializer(data=request.data))
        tag = services.tag_update(user=_me(request), tag_id=tag_id, **data)
        return Response(TagSerializer(tag).data)

    @extend_schema(tags=SCHEMA_TAGS, request=None, responses={204: None})
    def delete(self, request: Request, tag_id: uuid.UUID) -> Response:
        services.tag_delete(user=_me(request), tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagTouchView(APIView):
    @extend_schema(tags=SCHEMA_TAGS, request=None, responses={200: TagSerializer})
    def post(self, request: Request, tag_id: uuid.UUID) -> Response:
        tag = services.tag_touch(user=_me(request), tag_id=tag_id)
        return Response(TagSerializer(tag).data)


class TagCleanupView(APIView):
    @extend_schema(
        tags=SCHEMA_TAGS,
        request=None,
        parameters=[OpenApiParameter("days", int, required=True, description="N >= 1")],
        responses={200: TagCleanupResultSerializer},
        description="Delete the tags not used for `days` days or more.",
    )
    def delete(self, request: Request) -> Response:
        query = _query(TagCleanupQuerySerializer, request)
        deleted = services.tag_cleanup(user=_me(request), days=query["days"])
        return Response({"deleted_count": deleted})
