"""Domain errors and the one place that renders every error into the envelope."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# the Retry-After of a 503 that names none (e.g. while the database cannot be reached)
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


class AppError(Exception):
    """A failure a client can act on: a status code, a message key, optional field errors, optional `data`
    (what the client needs to act, e.g. the balance still to decide about)."""

    status_code = 400
    message = "BAD_REQUEST"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict | None = None,
        status_code: int | None = None,
        headers: dict | None = None,
        data: dict | None = None,
    ):
        super().__init__(message or self.message)
        if message:
            self.message = message
        if status_code:
            self.status_code = status_code
        self.errors = errors
        self.headers = headers
        self.data = data


class BadRequest(AppError):
    status_code = 400
    message = "BAD_REQUEST"


class ValidationFailed(AppError):
    """Input is well-formed JSON but breaks a rule (422 everywhere, see README)."""

    status_code = 422
    message = "VALIDATION_ERROR"


class Unauthorized(AppError):
    status_code = 401
    message = "UNAUTHORIZED"


class Forbidden(AppError):
    status_code = 403
    message = "FORBIDDEN"


def not_own_case(actor_id: str | None, subject_user_id: str | None) -> None:
    """Separation of duties: nobody decides, corrects or approves their own case (403 OWN_CASE)."""
    if actor_id is not None and actor_id == subject_user_id:
        raise Forbidden("OWN_CASE")


class NotFound(AppError):
    status_code = 404
    message = "NOT_FOUND"


class Conflict(AppError):
    status_code = 409
    message = "CONFLICT"


class InsufficientBalance(Conflict):
    message = "INSUFFICIENT_BALANCE"


class ServiceUnavailable(AppError):
    status_code = 503
    message = "SERVICE_UNAVAILABLE"


_HTTP_MESSAGES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(message: str, errors: dict | None = None, data: dict | None = None) -> dict:
    body = {"success": False, "message": message}
    if errors:
        body["errors"] = errors
    if data is not None:
        body["data"] = data
    return body


def error_response(status: int, message: str, errors: dict | None = None, headers=None, data: dict | None = None):
    response = jsonify(error_body(message, errors, data))
    response.status_code = status
    if headers:
        response.headers.update(headers)
    if status == 503 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    return response


def _field_errors(messages) -> dict:
    """Flatten webargs' {location: {field: [...]}} into {field: [text, ...]}."""
    flat: dict = {}
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    for location, fields in messages.items():
        if not isinstance(fields, dict):
            flat.setdefault(location, []).extend(fields if isinstance(fields, list) else [str(fields)])
            continue
        for field, texts in fields.items():
            flat[field] = _texts(texts)
    return flat


def _texts(value) -> list:
    if isinstance(value, list):
        return [t if isinstance(t, str) else str(t) for t in value]
    if isinstance(value, dict):
        # nested schema errors: keep them addressable as "field.sub"
        out = []
        for key, sub in value.items():
            out.extend(f"{key}: {t}" for t in _texts(sub))
        return out
    return [str(value)]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(err: AppError):
        return error_response(err.status_code, err.message, err.errors, err.headers, err.data)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        data = getattr(err, "data", None) or {}
        if status == 422 and "messages" in data:
            return error_response(422, "VALIDATION_ERROR", _field_errors(data["messages"]))
        if status == 400 and _is_bad_json(err):
            return error_response(400, "INVALID_JSON")
        headers = {}
        if status == 405 and err.get_response().headers.get("Allow"):
            headers["Allow"] = err.get_response().headers["Allow"]
        if status == 429:
            retry = err.get_response().headers.get("Retry-After")
            if retry:
                headers["Retry-After"] = retry
        message = (
            data.get("message") if isinstance(data.get("message"), str) and data.get("message", "").isupper() else None
        )
        return error_response(status, message or _HTTP_MESSAGES.get(status, "HTTP_ERROR"), None, headers)

    @app.errorhandler(ConnectionFailure)
    def _database_unreachable(err: ConnectionFailure):
        # no server selected, connection refused or dropped, network timeout: the client may retry later
        log.warning("database unreachable: %s", type(err).__name__)
        return error_response(503, "DATABASE_UNAVAILABLE")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        return error_response(500, "INTERNAL_SERVER_ERROR")


def _is_bad_json(err: HTTPException) -> bool:
    data = getattr(err, "data", None) or {}
    text = f"{data.get('messages', '')} {err.description or ''}".lower()
    return "json" in text or "decod" in text
