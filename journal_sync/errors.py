"""Error texts and error constructors of encrypted sync (tests reuse the texts)."""

from uuid import UUID

from reflective.errors import ApiError


class SyncMessages:
    CONFLICT = (
        "The entry changed on the server since the revision you edited; your version is "
        "kept in conflict {conflict_id}."
    )
    CONFLICT_STALE = (
        "The entry changed since this conflict was recorded; pull it and resolve again."
    )
    CONFLICT_RESOLVED = "This conflict is already resolved."
    CONFLICT_NOT_FOUND = "No such conflict."
    ENTRY_NOT_FOUND = "No such entry."
    RESYNC_REQUIRED = (
        "This cursor is outside the history the server keeps; discard it and pull again "
        "without a cursor."
    )
    INVALID_CURSOR = "The cursor is not one this server issued."
    CURSOR_AND_SINCE = "Send either cursor or since, not both."
    CIPHERTEXT_TOO_LARGE = "A ciphertext is larger than the server accepts ({limit} bytes)."
    BATCH_TOO_LARGE = "A batch holds at most {limit} items; nothing was stored."
    DUPLICATE_ID = "The same id appears earlier in this batch."
    ENTRY_ID = "id must be 1-64 characters of letters, digits, '_' or '-'."
    RESERVED_ID = "'content' is reserved (DELETE /sync/backup/content deletes everything)."
    EMBEDDING_PAIR = "encrypted_embedding and embedding_iv are sent together."
    MERGED_NEEDS_CONTENT = "A merged resolution needs final_encrypted_content and final_iv."
    FINAL_ONLY_WHEN_MERGED = "final_* fields are only used with chosen_version 'merged'."
    NOT_A_STRING = "Must be a string."
    NOT_AN_INTEGER = "Must be an integer."


def conflict_error(*, conflict_id: UUID, entry_id: str, current_revision: int) -> ApiError:
    return ApiError(
        "conflict",
        SyncMessages.CONFLICT.format(conflict_id=conflict_id),
        status=409,
        extra={
            "conflict_id": str(conflict_id),
            "log_id": entry_id,
            "current_revision": current_revision,
        },
    )


def entry_not_found() -> ApiError:
    return ApiError("not_found", SyncMessages.ENTRY_NOT_FOUND, status=404)


def conflict_not_found() -> ApiError:
    return ApiError("not_found", SyncMessages.CONFLICT_NOT_FOUND, status=404)
