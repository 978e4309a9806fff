"""HTTP conventions shared by every module: the envelope, money, pagination, auth decorators.

Controllers import from here; services never do (they know nothing of HTTP).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from flask import g
from flask_jwt_extended import get_jwt, get_jwt_identity, verify_jwt_in_request

from app.core.errors import Forbidden
from app.core.money import cents_to_euros

MAX_PER_PAGE = 100


class StrictSchema(ma.Schema):
    """Input schema: unknown fields are an error, never stored."""

    class Meta:
        unknown = ma.RAISE


class OutSchema(ma.Schema):
    """Output schema: only the fields it lists reach a client."""

    class Meta:
        ordered = True


class Money(ma.fields.Field):
    """Euros on the wire (a number with at most 2 decimals), integer cents inside.

    Deserialises to cents (int > 0 unless allow_zero); serialises cents to euros.
    """

    default_error_messages = {
        "invalid": "Must be a number of euros.",
        "precision": "At most 2 decimal places.",
        "positive": "Must be greater than zero.",
        "negative": "Must not be negative.",
        "too_large": "Amount is too large.",
    }

    def __init__(self, *, allow_zero: bool = False, max_cents: int = 10**11, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("type", "number")
        kwargs["metadata"].setdefault("format", "euros")
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        self.max_cents = max_cents

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return cents_to_euros(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite():
            raise self.make_error("invalid")
        if abs(amount) > Decimal(self.max_cents) / 100:
            # checked before quantize(): a huge exponent (1e30) would overflow the decimal context
            raise self.make_error(
                "negative" if amount < 0 and self.allow_zero else "positive" if amount < 0 else "too_large"
            )
        if amount != amount.quantize(Decimal("0.01")):
            raise self.make_error("precision")
        cents = int(amount * 100)
        if cents < 0 or (cents == 0 and not self.allow_zero):
            raise self.make_error("negative" if self.allow_zero else "positive")
        if cents > self.max_cents:
            raise self.make_error("too_large")
        return cents

    def _jsonschema_type_mapping(self):  # pragma: no cover - apispec hook
        return {"type": "number"}


class Timestamp(ma.fields.DateTime):
    """ISO 8601 UTC with a trailing Z (API.md "Times")."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"


class PageQuery(StrictSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_of(query: dict, items: list, total: int) -> Page:
    """The page a parsed PageQuery asked for, holding `items` of `total`."""
    return Page(items, query["page"], query["per_page"], total)


def page_window(query: dict) -> dict:
    """The skip/limit of a parsed PageQuery, as keyword arguments for a repository or service."""
    return {"skip": (query["page"] - 1) * query["per_page"], "limit": query["per_page"]}


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.per_page else 0

    def as_dict(self) -> dict:
        return {"items": self.items, "page": self.page, "per_page": self.per_page, "total": self.total}


_ENVELOPES: dict = {}


def Envelope(
    data_schema: type[ma.Schema] | None = None, *, many: bool = False, paginated: bool = False, name: str | None = None
) -> type[ma.Schema]:
    """The success envelope around a data schema, as a schema class for @blp.response.

    Envelope(UserOut) -> {success, message, data: UserOut}; paginated=True wraps the
    items in {items, page, per_page, total}; no schema means data is a free-form object.
    """
    key = (data_schema, many, paginated, name)
    if key in _ENVELOPES:
        return _ENVELOPES[key]
    base = data_schema.__name__.removesuffix("Schema") if data_schema else "Empty"
    suffix = "Page" if paginated else ("List" if many else "")
    schema_name = name or f"{base}{suffix}Envelope"
    if data_schema is None:
        data_field = ma.fields.Raw(allow_none=True)
    elif paginated:
        page_cls = type(
            f"{base}Page",
            (OutSchema,),
            {
                "items": ma.fields.List(ma.fields.Nested(data_schema), required=True),
                "page": ma.fields.Integer(required=True),
                "per_page": ma.fields.Integer(required=True),
                "total": ma.fields.Integer(required=True),
            },
        )
        data_field = ma.fields.Nested(page_cls, required=True)
    else:
        data_field = ma.fields.Nested(data_schema, many=many, required=True)
    cls = type(
        schema_name,
        (OutSchema,),
        {
            "success": ma.fields.Boolean(required=True),
            "message": ma.fields.String(required=True),
            "data": data_field,
        },
    )
    _ENVELOPES[key] = cls
    return cls


class ErrorEnvelope(OutSchema):
    success = ma.fields.Boolean(required=True, metadata={"description": "Always false"})
    message = ma.fields.String(required=True, metadata={"description": "UPPER_SNAKE message key"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


def ok(message: str, data: Any = None) -> dict:
    """A success envelope; the route's @blp.response schema filters `data`."""
    if isinstance(data, Page):
        data = data.as_dict()
    return {"success": True, "message": message, "data": data}


def _with_security(func: Callable) -> Callable:
    func._apidoc = dict(getattr(func, "_apidoc", {}))
    manual = dict(func._apidoc.get("manual_doc", {}))
    manual["security"] = [{"bearerAuth": []}]
    func._apidoc["manual_doc"] = manual
    return func


def login_required(func: Callable) -> Callable:
    """A valid, unrevoked access token; sets g.user_id and g.role."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        g.user_id = get_jwt_identity()
        g.role = get_jwt().get("role", "user")
        return func(*args, **kwargs)

    return _with_security(wrapper)


def admin_required(func: Callable) -> Callable:
    """Deny by default: only a token whose role claim is exactly 'admin' passes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        g.user_id = get_jwt_identity()
        g.role = get_jwt().get("role")
        if g.role != "admin":
            raise Forbidden("ADMIN_REQUIRED")
        return func(*args, **kwargs)

    wrapper._admin_only = True
    return _with_security(wrapper)


def rate_limited(kind: str = "auth") -> Callable:
    """Mark a view for a rate limit; the factory applies it (config AUTH_RATE_LIMIT / MONEY_RATE_LIMIT)."""

    def decorator(func: Callable) -> Callable:
        func._rate_limit = kind
        return func

    return decorator


def current_user_id() -> str:
    return g.user_id


def error_responses(blp, errors: dict[int, str]) -> Callable:
    """Document a route's domain errors in the OpenAPI document, e.g.
    `@error_responses(blp, {404: "ONLUS_NOT_FOUND", 409: "INSUFFICIENT_BALANCE"})` under @blp.response.
    (401, 403 for admin routes, 404 for path ids, 400/413/422 for bodies and 429 are added for every
    operation automatically: app.core.extensions.ErrorResponses.)"""

    def decorator(func: Callable) -> Callable:
        for status, description in sorted(errors.items(), reverse=True):
            func = blp.alt_response(status, schema=ErrorEnvelope, description=description)(func)
        return func

    return decorator
