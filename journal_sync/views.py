"""Encrypted sync endpoints: thin views over the services and selectors."""

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.devices import device_seen
from accounts.models import User
from accounts.tiers import PrivacyTier, tier_require
from journal_sync.cursor import cursor_encode
from journal_sync.errors import conflict_error
from journal_sync.selectors.conflicts import open_conflicts_page
from journal_sync.selectors.feed import changes_since, changes_since_time, entry_history
from journal_sync.selectors.summary import sync_summary
from journal_sync.serializers import (
    BatchPushSerializer,
    BatchResultOutSerializer,
    ConflictErrorOutSerializer,
    ConflictListOutSerializer,
    ConflictQuerySerializer,
    DeleteQuerySerializer,
    EntryPushSerializer,
    FeedPageOutSerializer,
    FeedQuerySerializer,
    PurgeCountsOutSerializer,
    PushResultOutSerializer,
    ResolveOutSerializer,
    ResolveSerializer,
    RevisionListOutSerializer,
    SyncStateOutSerializer,
    conflict_page_json,
    entry_write,
    feed_entry_json,
    page_json,
    push_result_json,
    resolve_content,
    validated,
)
from journal_sync.services.conflicts import conflict_resolve
from journal_sync.services.push import entries_push, entry_delete
from journal_sync.services.retention import entries_wipe
from reflective.lib.replicas import ReplicaReadsMixin

TIER_ERROR = OpenApiResponse(description="403 tier_required: the account is below full_sync")
CIPHERTEXT_TOO_LARGE = OpenApiResponse(description="ciphertext_too_large: a field over the limit")


def sync_user(request: Request) -> User:
    """The requesting user, refused with 403 ``tier_required`` below full_sync.

    Writes check the tier again under the user's lock; this early check only spares a
    refused request its validation.
    """
    user = request_user(request)
    tier_require(user.privacy_tier, PrivacyTier.FULL_SYNC)
    return user


class BackupPushView(APIView):
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
    def post(self, request: Request) -> Response:
        user = sync_user(request)
        write = entry_write(validated(EntryPushSerializer(data=request.data)))
        result = entries_push(user=user, writes=[write])[0]
        if result.conflict_id is not None:
            raise conflict_error(
                conflict_id=result.conflict_id,
                entry_id=result.client_id,
                current_revision=result.revision or 0,
            )
        return Response(push_result_json(result), status=201)


class BatchPushView(APIView):
    @extend_schema(
        summary="Push up to SYNC_BATCH_MAX_ITEMS entries in one transaction",
        request=BatchPushSerializer,
        responses={200: BatchResultOutSerializer, 403: TIER_ERROR, 422: CIPHERTEXT_TOO_LARGE},
    )
    def post(self, request: Request) -> Response:
        user = sync_user(request)
        data = validated(BatchPushSerializer(data=request.data))
        writes = [entry_write(item) for item in data["items"]]
        results = entries_push(user=user, writes=writes)
        return Response({"results": [push_result_json(result) for result in results]})


class BackupListView(ReplicaReadsMixin, APIView):
    @extend_schema(
        summary="Pull changes after a cursor (tombstones included)",
        parameters=[FeedQuerySerializer],
        responses={
            200: FeedPageOutSerializer,
            403: TIER_ERROR,
            410: OpenApiResponse(description="resync_required: pull again without a cursor"),
        },
    )
    def get(self, request: Request) -> Response:
        user = sync_user(request)
        query = validated(FeedQuerySerializer(data=request.query_params))
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


class BackupDeleteView(APIView):
    @extend_schema(
        summary="Delete an entry (a tombstone every device pulls)",
        parameters=[DeleteQuerySerializer],
        responses={200: PushResultOutSerializer, 404: None, 409: ConflictErrorOutSerializer},
    )
    def delete(self, request: Request, entry_id: str) -> Response:
        user = sync_user(request)
        query = validated(DeleteQuerySerializer(data=request.query_params))
        result = entry_delete(
            user=user,
            client_id=entry_id,
            device_id=query.get("device_id"),
            base_revision=query.get("base_revision"),
        )
        if result.conflict_id is not None:
            raise conflict_error(
                conflict_id=result.conflict_id,
                entry_id=result.client_id,
                current_revision=result.revision or 0,
            )
        return Response(push_result_json(result) | {"deleted": True})


class ContentWipeView(APIView):
    @extend_schema(
        summary="Delete every entry, revision and conflict (any tier)",
        request=None,
        responses={200: PurgeCountsOutSerializer},
    )
    def delete(self, request: Request) -> Response:
        return Response(entries_wipe(user=request_user(request)))


class RevisionListView(ReplicaReadsMixin, APIView):
    @extend_schema(
        summary="The kept versions of an entry, newest first",
        responses={200: RevisionListOutSerializer, 404: None},
    )
    def get(self, request: Request, entry_id: str) -> Response:
        user = sync_user(request)
        rows = entry_history(user=user, client_id=entry_id)
        return Response({"id": entry_id, "revisions": [feed_entry_json(row) for row in rows]})


class ConflictListView(APIView):
    @extend_schema(
        summary="Open conflicts with both versions, oldest first, paged",
        parameters=[ConflictQuerySerializer],
        responses={200: ConflictListOutSerializer},
    )
    def get(self, request: Request) -> Response:
        user = sync_user(request)
        query = validated(ConflictQuerySerializer(data=request.query_params))
        page = open_conflicts_page(user=user, after=query["after"], limit=query["limit"])
        return Response(conflict_page_json(page))


class ConflictResolveView(APIView):
    @extend_schema(
        summary="Resolve a conflict: local, remote or merged",
        request=ResolveSerializer,
        responses={
            200: ResolveOutSerializer,
            404: None,
            409: OpenApiResponse(description="conflict_stale or conflict_resolved"),
            422: CIPHERTEXT_TOO_LARGE,
        },
    )
    def post(self, request: Request, conflict_id: uuid.UUID) -> Response:
        user = sync_user(request)
        data = validated(ResolveSerializer(data=request.data))
        result = conflict_resolve(
            user=user,
            conflict_id=conflict_id,
            chosen=data["chosen_version"],
            final=resolve_content(data),
            device_id=data.get("device_id"),
        )
        body: dict[str, Any] = {
            "conflict_id": str(result.conflict_id),
            "id": result.client_id,
            "resolution": result.resolution,
            "revision": result.revision,
            "seq": result.seq,
        }
        return Response(body)


class SyncStateView(APIView):
    @extend_schema(
        summary="Feed cursor, counts and a digest to verify a full copy",
        responses={200: SyncStateOutSerializer},
    )
    def get(self, request: Request) -> Response:
        user = sync_user(request)
        summary = sync_summary(user=user)
        return Response(
            {
                "cursor": cursor_encode(summary.last_seq),
                "entry_count": summary.entry_count,
                "bytes_stored": summary.bytes_stored,
                "digest": summary.digest,
            }
        )
