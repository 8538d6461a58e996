"""The client's own error hierarchy (kopf's `clients/errors.py` idea).

Every failed API call raises an `ApiError` carrying the server's `Status` body (`status`), its
HTTP `code`, `reason` and `message`; the transport exception, if any, is chained as `__cause__`.
Subclasses by StatusReason/code let callers catch what they handle:

    NotFoundError (404), AlreadyExistsError (409 AlreadyExists), ConflictError (409 Conflict),
    InvalidError (422), GoneError (410 / Expired: the resourceVersion is too old; re-list),
    ForbiddenError (403), UnauthorizedError (401), TooManyRequestsError (429), ServerError (5xx).

`TransportError` is raised when no HTTP answer arrived at all (connection refused, reset, TLS).
"""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base of every error raised by `kubesvc.client`."""


class TransportError(ClientError):
    """The request did not get an HTTP answer (connection refused or reset, TLS, timeout)."""


class ApiError(ClientError):
    """The API answered with a failure `Status`."""

    def __init__(self, status: dict[str, Any], code: int | None = None) -> None:
        self.status = status
        self.code: int = int(code if code is not None else status.get("code") or 0)
        self.reason: str = str(status.get("reason") or "")
        self.message: str = str(status.get("message") or "")
        self.details: dict[str, Any] = dict(status.get("details") or {})
        super().__init__(self.message or f"API error {self.code} {self.reason}".strip())

    def has_cause(self, cause_type: str) -> bool:
        """apimachinery's HasStatusCause: `details.causes` holds one of type `cause_type`."""
        return any(c.get("type") == cause_type for c in self.details.get("causes") or ())


class NotFoundError(ApiError):
    """404: the object (or the path) does not exist."""


class AlreadyExistsError(ApiError):
    """409 AlreadyExists: create of a name that is taken."""


class ConflictError(ApiError):
    """409 Conflict: a resourceVersion/uid precondition failed (re-read and retry)."""


class InvalidError(ApiError):
    """422 Invalid: field errors in `details.causes`."""


class GoneError(ApiError):
    """410 Gone / Expired: the resourceVersion is too old; re-list."""


class BadRequestError(ApiError):
    """400."""


class UnauthorizedError(ApiError):
    """401."""


class ForbiddenError(ApiError):
    """403."""


class TooManyRequestsError(ApiError):
    """429: retry after a while."""


class ServerError(ApiError):
    """5xx."""


def error_from_status(status: dict[str, Any], code: int | None = None) -> ApiError:
    """The most specific `ApiError` for a Status body (and the HTTP code when known)."""
    c = int(code if code is not None else status.get("code") or 0)
    reason = status.get("reason") or ""
    cls: type[ApiError]
    if reason == "AlreadyExists":
        cls = AlreadyExistsError
    elif reason in ("Expired", "Gone") or c == 410:
        cls = GoneError
    elif c == 404 or reason == "NotFound":
        cls = NotFoundError
    elif c == 409 or reason == "Conflict":
        cls = ConflictError
    elif c == 422 or reason == "Invalid":
        cls = InvalidError
    elif c == 400:
        cls = BadRequestError
    elif c == 401:
        cls = UnauthorizedError
    elif c == 403:
        cls = ForbiddenError
    elif c == 429:
        cls = TooManyRequestsError
    elif c >= 500:
        cls = ServerError
    else:
        cls = ApiError
    return cls(status, c)
