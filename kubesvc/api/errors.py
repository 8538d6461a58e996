"""Status errors: what the API answers when a request fails, shaped as kube-apiserver shapes them.

Each `StatusError` carries the HTTP code, the `reason` (metav1.StatusReason) and the details, and
renders the `Status` JSON with `to_status()`.  Constructors mirror apimachinery's
`k8s.io/apimachinery/pkg/api/errors` (NewNotFound, NewAlreadyExists, NewConflict, NewInvalid, ...)
so the messages read the same word for word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesvc.api.fields import FieldError, aggregate_message


def qualified(name: str, group: str) -> str:
    """`services` or `endpointslices.discovery.k8s.io` (GroupResource / GroupKind String())."""
    return f"{name}.{group}" if group else name


@dataclass
class StatusError(Exception):
    """An error that the API returns as a `Status` object."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The Status's ListMeta (upstream sets `continue` on an expired continue token's 410).
    list_meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": dict(self.list_meta),
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # omitempty: a plain Go error surfaces as a Status without a reason
            status["reason"] = self.reason
        # apimachinery's NotFound errors always carry details (NewNotFound, and the generic
        # "could not find the requested resource" of an unserved path: `"details":{}`)
        if self.details or self.reason == "NotFound":
            status["details"] = self.details or {}
        status["code"] = self.code
        return status


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = kind
    return d


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    return StatusError(
        404, "NotFound", f'{qualified(resource, group)} "{name}" not found', _details(name, group, resource)
    )


def path_not_found() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource: str, name: str, group: str = "") -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{qualified(resource, group)} "{name}" already exists',
        _details(name, group, resource),
    )


CONFLICT_MODIFIED = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def conflict(resource: str, name: str, reason: str, group: str = "") -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {reason}',
        _details(name, group, resource),
    )


def invalid(kind: str, name: str, errors: Sequence[FieldError], group: str = "") -> StatusError:
    causes = [{"reason": e.type.reason, "message": e.message(), "field": e.field} for e in errors]
    subject = f'{qualified(kind, group)} "{name}" is invalid'
    message = f"{subject}: {aggregate_message(errors)}" if errors else subject
    details = _details(name, group, kind)
    details["causes"] = causes
    return StatusError(422, "Invalid", message, details)


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def forbidden(resource: str, name: str, message: str, group: str = "") -> StatusError:
    subject = f'{qualified(resource, group)} "{name}"' if name else qualified(resource, group)
    return StatusError(
        403, "Forbidden", f"{subject} is forbidden: {message}", _details(name, group, resource)
    )


def method_not_supported(resource: str, action: str, group: str = "") -> StatusError:
    return StatusError(
        405,
        "MethodNotAllowed",
        f"{action} is not supported on resources of kind {qualified(resource, group)!r}",
        _details("", group, resource),
    )


def gone(message: str) -> StatusError:
    return StatusError(410, "Gone", message)


def resource_expired(message: str) -> StatusError:
    """410 with reason Expired, e.g. `too old resource version: 5 (10)`."""
    return StatusError(410, "Expired", message)


def too_large(limit: int) -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type(content_type: str) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {content_type}",
    )


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def internal_error(message: str) -> StatusError:
    return StatusError(
        500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]}
    )


def service_unavailable(message: str) -> StatusError:
    return StatusError(503, "ServiceUnavailable", message)


def timeout(message: str, retry_after: int = 1) -> StatusError:
    return StatusError(504, "Timeout", message, {"retryAfterSeconds": retry_after})
