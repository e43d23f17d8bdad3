"""Encrypted sync endpoints: thin viewsets over the services and selectors.

Each action validates its body or query string with a request serializer, calls one
service or selector, and renders the result with a JSON builder. journal_sync/urls.py maps
the client paths onto these actions, the canonical ``sync/entries`` paths and their legacy
``sync/backup(s)`` aliases alike.
"""

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import request_user
from accounts.devices import device_seen
from accounts.permissions import FullSyncTier
from journal_sync.errors import conflict_error
from journal_sync.selectors.conflicts import open_conflicts_page
from journal_sync.selectors.feed import changes_since, changes_since_time, entry_history
from journal_sync.selectors.summary import sync_summary
from journal_sync.serializers.requests import (
    BatchPushSerializer,
    ConflictQuerySerializer,
    DeleteQuerySerializer,
    EntryPushSerializer,
    FeedQuerySerializer,
    ResolveSerializer,
    entry_write,
    resolve_content,
)
from journal_sync.serializers.responses import (
    conflict_page_json,
    page_json,
    push_result_json,
    resolve_json,
    revisions_json,
    sync_state_json,
)
from journal_sync.serializers.schemas import (
    BatchResultOutSerializer,
    ConflictErrorOutSerializer,
    ConflictListOutSerializer,
    FeedPageOutSerializer,
    PurgeCountsOutSerializer,
    PushResultOutSerializer,
    ResolveOutSerializer,
    RevisionListOutSerializer,
    SyncStateOutSerializer,
)
from journal_sync.services.conflicts import conflict_resolve
from journal_sync.services.push import PushResult, entries_push, entry_delete
from journal_sync.services.retention import entries_wipe
from reflective.lib.fields import validated_input
from reflective.lib.renderers import UTCTimesJSONRenderer
from reflective.lib.replicas import replica_reads_begin

TIER_ERROR = OpenApiResponse(
    description="tier_required: the account is below full_sync (required_tier, current_tier)"
)
CIPHERTEXT_TOO_LARGE = OpenApiResponse(description="ciphertext_too_large: a field over the limit")


def _refuse_conflict(result: PushResult) -> None:
    """A push or delete that lost the compare-and-swap is answered 409 ``conflict``."""
    if result.conflict_id is not None:
        raise conflict_error(
            conflict_id=result.conflict_id,
            entry_id=result.client_id,
            current_revision=result.revision or 0,
        )


class EntryViewSet(viewsets.ViewSet):
    """The encrypted entries of the requesting user: push, pull, delete, history."""

    permission_classes = [FullSyncTier]
    # A pull page's entry times are the database's UTC datetimes, written by orjson.
    renderer_classes = [UTCTimesJSONRenderer]
    alias_of = ""  # set by urls.py on a legacy path: the canonical path, for the schema
    # Actions that only read: they may read the replica once it has the user's last write.
    replica_read_actions = frozenset({"list", "revisions"})

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.action in self.replica_read_actions:
            replica_reads_begin(request.user.pk)

    @extend_schema(
        summary="Push one encrypted entry (compare-and-swap on base_revision)",
        request=EntryPushSerializer,
        responses={
            201: PushResultOutSerializer,
            403: TIER_ERROR,
            409: ConflictErrorOutSerializer,
            422: CIPHERTEXT_TOO_LARGE,
        },
    )
    def create(self, request: Request) -> Response:
        write = entry_write(validated_input(EntryPushSerializer, request.data))
        result = entries_push(user=request_user(request), writes=[write])[0]
        _refuse_conflict(result)
        return Response(push_result_json(result), status=201)

    @extend_schema(
        summary="Push up to SYNC_BATCH_MAX_ITEMS entries in one transaction",
        request=BatchPushSerializer,
        responses={200: BatchResultOutSerializer, 403: TIER_ERROR, 422: CIPHERTEXT_TOO_LARGE},
    )
    def batch(self, request: Request) -> Response:
        data = validated_input(BatchPushSerializer, request.data)
        writes = [entry_write(item) for item in data["items"]]
        results = entries_push(user=request_user(request), writes=writes)
        return Response({"results": [push_result_json(result) for result in results]})

    @extend_schema(
        summary="Pull changes after a cursor (tombstones included)",
        parameters=[FeedQuerySerializer],
        responses={
            200: FeedPageOutSerializer,
            403: TIER_ERROR,
            410: OpenApiResponse(description="resync_required: pull again without a cursor"),
        },
    )
    def list(self, request: Request) -> Response:
        user = request_user(request)
        query = validated_input(FeedQuerySerializer, request.query_params)
        device_id = query.get("device_id")
        if device_id:
            device_seen(user=user, device_id=device_id)
        if "since" in query:
            page = changes_since_time(
                user=user, since=query["since"], limit=query["limit"], exclude_device_id=device_id
            )
        else:
            page = changes_since(
                user=user,
                after_seq=query.get("after_seq"),
                limit=query["limit"],
                exclude_device_id=device_id,
            )
        return Response(page_json(page.rows, next_seq=page.next_seq, has_more=page.has_more))

    @extend_schema(
        summary="Delete an entry (a tombstone every device pulls)",
        parameters=[DeleteQuerySerializer],
        responses={
            200: PushResultOutSerializer,
            403: TIER_ERROR,
            404: None,
            409: ConflictErrorOutSerializer,
        },
    )
    def destroy(self, request: Request, entry_id: str) -> Response:
        query = validated_input(DeleteQuerySerializer, request.query_params)
        result = entry_delete(
            user=request_user(request),
            client_id=entry_id,
            device_id=query.get("device_id"),
            base_revision=query.get("base_revision"),
        )
        _refuse_conflict(result)
        return Response(push_result_json(result) | {"deleted": True})

    @extend_schema(
        summary="The kept versions of an entry, newest first",
        responses={200: RevisionListOutSerializer, 403: TIER_ERROR, 404: None},
    )
    def revisions(self, request: Request, entry_id: str) -> Response:
        rows = entry_history(user=request_user(request), client_id=entry_id)
        return Response(revisions_json(entry_id, rows))


class ContentViewSet(viewsets.ViewSet):
    """Everything the user synced, as one resource: deleting it is allowed on any tier."""

    alias_of = ""  # set by urls.py on a legacy path: the canonical path, for the schema

    @extend_schema(
        summary="Delete every entry, revision and conflict (any tier)",
        request=None,
        responses={200: PurgeCountsOutSerializer},
    )
    def destroy(self, request: Request) -> Response:
        return Response(entries_wipe(user=request_user(request)))


class ConflictViewSet(viewsets.ViewSet):
    permission_classes = [FullSyncTier]

    @extend_schema(
        summary="Open conflicts with both versions, oldest first, paged",
        parameters=[ConflictQuerySerializer],
        responses={200: ConflictListOutSerializer, 403: TIER_ERROR},
    )
    def list(self, request: Request) -> Response:
        query = validated_input(ConflictQuerySerializer, request.query_params)
        page = open_conflicts_page(
            user=request_user(request), after=query["after"], limit=query["limit"]
        )
        return Response(conflict_page_json(page))

    @extend_schema(
        summary="Resolve a conflict: local, remote or merged",
        request=ResolveSerializer,
        responses={
            200: ResolveOutSerializer,
            403: TIER_ERROR,
            404: None,
            409: OpenApiResponse(description="conflict_stale or conflict_resolved"),
            422: CIPHERTEXT_TOO_LARGE,
        },
    )
    def resolve(self, request: Request, conflict_id: uuid.UUID) -> Response:
        data = validated_input(ResolveSerializer, request.data)
        result = conflict_resolve(
            user=request_user(request),
            conflict_id=conflict_id,
            chosen=data["chosen_version"],
            final=resolve_content(data),
            device_id=data.get("device_id"),
        )
        return Response(resolve_json(result))


class SyncStateViewSet(viewsets.ViewSet):
    permission_classes = [FullSyncTier]

    @extend_schema(
        summary="Feed cursor, counts and a digest to verify a full copy",
        responses={200: SyncStateOutSerializer, 403: TIER_ERROR},
    )
    def retrieve(self, request: Request) -> Response:
        summary = sync_summary(user=request_user(request))
        return Response(sync_state_json(summary))
