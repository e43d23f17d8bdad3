"""Documents the errors every operation can answer, in the one error shape.

drf-spectacular only knows the statuses a view declares; the middleware, authentication,
parsers, throttles and the database guard add others. This postprocessing hook adds them
to each operation so a client (and schemathesis) can rely on the documented statuses.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a stable code, a human detail, and for 400 the bad fields.",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}
QUOTA_COMPONENT = "QuotaExceeded"
QUOTA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "422 quota_exceeded: the write would take the account past a quota; nothing of it "
        "was stored."
    ),
    "properties": {
        "code": {"type": "string", "enum": ["quota_exceeded"]},
        "detail": {"type": "string"},
        "quota": {
            "type": "string",
            "enum": [
                "storage_bytes",
                "entries",
                "metrics",
                "devices",
                "open_conflicts_per_entry",
                "key_epochs",
                "tags",
            ],
        },
        "limit": {"type": "integer"},
        "used": {"type": "integer"},
        "requested": {"type": "integer"},
    },
    "required": ["code", "detail", "quota", "limit", "used", "requested"],
}
# Operations that can store something new, and so answer 422 quota_exceeded.
# The legacy sync/backup(s) aliases answer exactly like their sync/entries paths.
QUOTA_OPERATIONS = {
    ("/api/sync/entries", "post"),
    ("/api/sync/backup", "post"),
    ("/api/sync/batch", "post"),
    ("/api/sync/entries/{entry_id}", "delete"),
    ("/api/sync/backup/{entry_id}", "delete"),
    ("/api/sync/entries", "get"),
    ("/api/sync/backups", "get"),
    ("/api/sync/conflicts/{conflict_id}/resolve", "post"),
    ("/api/encryption/metrics", "post"),
    ("/api/encryption/public-context", "put"),
    ("/api/users/me/privacy", "put"),
    ("/api/tags", "post"),
}
# Login and registration, and every operation that may confirm the account password.
THROTTLED_OPERATIONS = frozenset(
    {
        ("post", "/api/auth/token"),
        ("post", "/api/auth/register"),
        ("post", "/api/auth/password"),
        ("delete", "/api/users/me"),
        ("put", "/api/users/me"),
        ("patch", "/api/users/me"),
    }
)
HTTP_METHODS = ("get", "put", "patch", "post", "delete")


def _error_statuses(method: str, path: str, operation: dict[str, Any]) -> dict[str, str]:
    statuses = {"503": "database_unavailable: try again shortly"}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses["400"] = "invalid, malformed_body or another input error"
    if operation.get("requestBody"):
        statuses["413"] = "body_too_large"
        statuses["415"] = "unsupported_media_type"
    if any(param.get("in") == "path" for param in operation.get("parameters", [])):
        statuses["404"] = "not_found: no such object for this account"
    if operation.get("security") != [{}] and "security" in operation:
        statuses["401"] = "not_authenticated: missing, invalid, expired or revoked token"
        statuses["403"] = "tier_required or permission_denied"
    if (method, path) in THROTTLED_OPERATIONS:
        statuses["429"] = "throttled: retry after Retry-After seconds"
    return statuses


def _error_response(description: str) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    return {"description": description, "content": {"application/json": {"schema": reference}}}


def _document_errors(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, description in _error_statuses(method, path, operation).items():
        responses.setdefault(status, _error_response(description))
    for status, response in responses.items():
        if status >= "400" and "content" not in response:
            responses[status] = _error_response(response.get("description") or status)


def _document_quota(operation: dict[str, Any]) -> None:
    """422 lists quota_exceeded next to what the view already says a 422 means."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    earlier = responses.get("422", {}).get("description")
    quota = {"$ref": f"#/components/schemas/{QUOTA_COMPONENT}"}
    error = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    responses["422"] = {
        "description": f"{earlier} or quota_exceeded" if earlier else "quota_exceeded",
        "content": {
            "application/json": {"schema": {"anyOf": [quota, error]} if earlier else quota}
        },
    }


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: every operation lists its error statuses."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    schemas[QUOTA_COMPONENT] = QUOTA_SCHEMA
    for path, item in result.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                _document_errors(method, path, item[method])
                if (path, method) in QUOTA_OPERATIONS:
                    _document_quota(item[method])
    return result


class ApiAutoSchema(AutoSchema):
    """Documents the DELETE body of views that set ``documents_delete_body``, and legacy paths.

    drf-spectacular leaves DELETE bodies out, but ``DELETE /users/me`` needs ``{password}``.
    A URL conf that serves a view on a legacy path passes ``alias_of`` (the canonical path)
    to ``as_view``: that operation is documented as deprecated, pointing at the canonical one.
    """

    def is_deprecated(self) -> bool:
        return bool(getattr(self.view, "alias_of", "")) or super().is_deprecated()

    def get_description(self) -> str:  # type: ignore[override]
        description: str = super().get_description()
        alias_of = getattr(self.view, "alias_of", "")
        if not alias_of:
            return description
        note = f"Deprecated alias of `{self.method} {alias_of}`: same request, same answer."
        return f"{note}\n\n{description}" if description else note

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE" or not getattr(self.view, "documents_delete_body", False):
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        self.method = "POST"
        try:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        finally:
            self.method = "DELETE"
