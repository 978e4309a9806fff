"""HTTP conventions shared by every module: the envelope, money, pagination, auth decorators.

Controllers import from here; services never do (they know nothing of HTTP).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from flask import g, has_request_context, request
from flask_jwt_extended import get_jwt, get_jwt_identity, verify_jwt_in_request
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter

from app.core.errors import Forbidden
from app.core.ids import OBJECT_ID_PATTERN, canonical_id
from app.core.models.audit import is_action
from app.core.models.user import STAFF
from app.core.money import cents_to_euros

MAX_PER_PAGE = 100
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the methods that change something


class _SchemaDecidesUnknown(FlaskParser):
    """webargs drops unknown query parameters whatever the schema says; here the schema decides, so a
    misspelt `?per_pag=5` or an unsupported `?sort=x` is a 422 that names it, as an unknown body field is."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}


class Blueprint(SmorestBlueprint):
    """The blueprint every controller declares its routes on."""

    ARGUMENTS_PARSER = _SchemaDecidesUnknown()


# What each JSON-typed field accepts on input: a string is not a number, 0 or "yes" is not a boolean,
# 2.5 is not an integer (checked in this order: Integer is a Number). One check on the raw JSON rather than
# marshmallow's options: Integer(strict=True) covers integers only, Boolean(truthy={True}) still takes 1
# (1 == True) and Float has no strict mode.
_JSON_TYPES: tuple[tuple[type[ma.fields.Field], tuple[type, ...]], ...] = (
    (ma.fields.Boolean, (bool,)),
    (ma.fields.Integer, (int,)),
    (ma.fields.Number, (int, float)),
)


def _json_type_error(field: ma.fields.Field, value: Any) -> str | None:
    """The error message when `value` is not of the JSON type `field` reads; None when it is (or is null:
    allow_none decides that)."""
    if value is None:
        return None
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        return next(filter(None, (_json_type_error(field.inner, item) for item in value)), None)
    if isinstance(field, ma.fields.Dict) and field.value_field is not None and isinstance(value, dict):
        return next(filter(None, (_json_type_error(field.value_field, item) for item in value.values())), None)
    for field_class, types in _JSON_TYPES:
        if isinstance(field, field_class):
            if isinstance(value, types) and (field_class is ma.fields.Boolean or not isinstance(value, bool)):
                return None
            return field.error_messages["invalid"]
    return None


class StrictSchema(ma.Schema):
    """Input schema of a JSON body: unknown fields are an error, never stored, and JSON types are strict
    (a string is not a number, 0 or "yes" is not a boolean, 2.5 is not an integer)."""

    class Meta:
        unknown = ma.RAISE

    strict_json_types = True

    @ma.pre_load
    def _check_json_types(self, data, **kwargs):
        if not self.strict_json_types or not isinstance(data, dict):
            return data
        errors = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key in data and (error := _json_type_error(field, data[key])):
                errors[key] = [error]
        if errors:
            raise ma.ValidationError(errors)
        return data


class QuerySchema(StrictSchema):
    """Input schema of a query string: every value arrives as text, so numbers and booleans are parsed
    from it (`?page=2&unread=true`); unknown parameters are still an error."""

    strict_json_types = False


class OutSchema(ma.Schema):
    """Output schema: only the fields it lists reach a client."""

    class Meta:
        ordered = True


def _euro_metadata(metadata: dict | None) -> dict:
    metadata = dict(metadata or {})
    description = metadata.get("description")
    if not description:
        metadata["description"] = "Euros (at most 2 decimals)"
    elif "euro" not in description.lower():
        metadata["description"] = f"{description} (euros)"
    return {"type": "number", "multipleOf": 0.01, **metadata}


class Euros(ma.fields.Field):
    """Output: integer cents inside (name them with attribute=, e.g. "balance_cents"), euros on the wire
    (a number with at most 2 decimals; negative for a signed amount)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = _euro_metadata(kwargs.get("metadata"))
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else cents_to_euros(value)


class Money(Euros):
    """Input and output: euros on the wire (a JSON number with at most 2 decimals), integer cents inside.

    Loads euros to cents (> 0 unless allow_zero, at most max_cents); dumps cents to euros.
    """

    default_error_messages = {
        "invalid": "Must be a number of euros.",
        "precision": "At most 2 decimal places.",
        "positive": "Must be greater than zero.",
        "negative": "Must not be negative.",
        "too_large": "Amount is too large.",
    }

    def __init__(self, *, allow_zero: bool = False, max_cents: int = 10**11, **kwargs):
        bounds = {"minimum": 0 if allow_zero else 0.01, "maximum": cents_to_euros(max_cents)}
        kwargs["metadata"] = {**bounds, **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        self.max_cents = max_cents

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
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


def euros_in(value: Any) -> Any:
    """`value` with every `<name>_cents` integer inside it, at any depth, as `<name>` in euros."""
    if isinstance(value, dict):
        return {
            (key.removesuffix("_cents") if _is_cents(key, sub) else key): (
                cents_to_euros(sub) if _is_cents(key, sub) else euros_in(sub)
            )
            for key, sub in value.items()
        }
    if isinstance(value, list):
        return [euros_in(sub) for sub in value]
    return value


def _is_cents(key: Any, value: Any) -> bool:
    return isinstance(key, str) and key.endswith("_cents") and isinstance(value, int) and not isinstance(value, bool)


class Details(ma.fields.Dict):
    """Output: an object whose keys depend on its kind (a compliance rule, a discrepancy, a batch item...),
    with its amounts in euros (each `<name>_cents` inside is dumped as `<name>`)."""

    def __init__(self, **kwargs):
        metadata = {"description": "Depends on the kind; amounts in euros", **(kwargs.get("metadata") or {})}
        super().__init__(keys=ma.fields.String(), values=Json(), **{**kwargs, "metadata": metadata})

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else euros_in(value)


class Number(ma.fields.Field):
    """Output: a JSON number as computed (counts stay integers, euros keep their decimals)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"type": "number", **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


JSON_VALUE_REF = "#/components/schemas/JsonValue"
JSON_OBJECT_REF = "#/components/schemas/JsonObject"
_JSON_SCALARS = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]


def _json_array(depth: int) -> dict:
    """Arrays of JSON values, nested `depth` deep. Written out rather than recursive: a generated
    TypeScript client cannot name an array of itself (TS2502), while recursion through objects is fine."""
    choices = [*_JSON_SCALARS, {"$ref": JSON_OBJECT_REF}]
    if depth > 1:
        choices.append(_json_array(depth - 1))
    return {"type": "array", "items": {"anyOf": choices, "nullable": True}}


# What a generated client types a free-form value as, instead of `unknown`: any JSON value (arrays of
# arrays described down to four levels; objects to any depth).
JSON_VALUE_SCHEMA = {
    "description": "Any JSON value",
    "nullable": True,
    "anyOf": [*_JSON_SCALARS, {"$ref": JSON_OBJECT_REF}, _json_array(4)],
}
JSON_OBJECT_SCHEMA = {"type": "object", "additionalProperties": {"$ref": JSON_VALUE_REF}}


class Json(ma.fields.Raw):
    """Any JSON value, kept as sent (opaque to the server, e.g. a game's state)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"allOf": [{"$ref": JSON_VALUE_REF}], **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)


class Id(ma.fields.String):
    """A record's id on the wire, as a string (read from `_id` unless another attribute is named)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attribute", "_id")
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)


# how the OpenAPI document describes an id a client sends (a path parameter, an IdRef field)
OBJECT_ID_PARAMETER = {"type": "string", "pattern": f"^{OBJECT_ID_PATTERN}$"}


class IdRef(ma.fields.String):
    """Input: the id of a record (a body or query field such as `onlus_id`), loaded in its one spelling
    (lower case), so that what is stored and compared is what the record's own id dumps to."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": OBJECT_ID_PARAMETER["pattern"], **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return canonical_id(super()._deserialize(value, attr, data, **kwargs))


class ObjectIdConverter(BaseConverter):
    """`<oid:name>` in a route: a record's id, 24 hex digits in any case, handed to the view in lower case.
    Nothing else matches it, so a literal path beside it (`/wallets/integrity-check`) is never taken for an
    id (app.core.extensions.init_routes answers a malformed id like one that names nothing)."""

    regex = OBJECT_ID_PATTERN

    def to_python(self, value: str) -> str:
        return canonical_id(value)


class Computed(ma.fields.Field):
    """A value derived from the whole object, dumped and documented as the field `as_field`:
    `Computed(fields.Boolean(), lambda onlus: onlus["verification_status"] == VERIFIED)`."""

    _CHECK_ATTRIBUTE = False

    def __init__(self, as_field: ma.fields.Field, func: Callable[[Any], Any], **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)
        self.as_field, self.func = as_field, func

    def _bind_to_schema(self, field_name, parent):
        super()._bind_to_schema(field_name, parent)
        self.as_field._bind_to_schema(field_name, self)

    def _serialize(self, value, attr, obj, **kwargs):
        return self.as_field._serialize(self.func(obj), attr, obj, **kwargs)


FIRST_YEAR, LAST_YEAR = 2000, 2999


class UtcDateTime(ma.fields.DateTime):
    """ISO 8601 input, years 2000-2999 (declared as a pattern); stored as naive UTC like every time in the
    app (a time without zone is UTC), to the millisecond as MongoDB keeps it."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": "^2[0-9]{3}-", **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise ma.ValidationError(f"A time in the years {FIRST_YEAR}-{LAST_YEAR}.")
        return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


class Timestamp(ma.fields.DateTime):
    """ISO 8601 UTC with a trailing Z (API.md "Times")."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"


class PageQuery(QuerySchema):
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
    def total_pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.per_page else 0

    def as_dict(self) -> dict:
        return {
            "items": self.items,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_pages": self.total_pages,
        }


class PageOut(OutSchema):
    """The page around a list (Envelope(..., paginated=True) adds `items`)."""

    page = ma.fields.Integer(required=True, metadata={"description": "This page's number, from 1"})
    per_page = ma.fields.Integer(required=True, metadata={"description": "Page size asked for"})
    total = ma.fields.Integer(required=True, metadata={"description": "Items on all the pages"})
    total_pages = ma.fields.Integer(required=True, metadata={"description": "Pages in all (0 when there are no items)"})


_ENVELOPES: dict = {}


def Envelope(
    data_schema: type[ma.Schema] | None = None, *, many: bool = False, paginated: bool = False, name: str | None = None
) -> type[ma.Schema]:
    """The success envelope around a data schema, as a schema class for @blp.response.

    Envelope(UserOut) -> {success, message, data: UserOut}; paginated=True wraps the
    items in a page {items, page, per_page, total, total_pages}; no schema means data is null.
    """
    key = (data_schema, many, paginated, name)
    if key in _ENVELOPES:
        return _ENVELOPES[key]
    base = data_schema.__name__.removesuffix("Schema") if data_schema else "Empty"
    suffix = "Page" if paginated else ("List" if many else "")
    schema_name = name or f"{base}{suffix}Envelope"
    if data_schema is None:
        data_field = ma.fields.Raw(allow_none=True, metadata={"enum": [None], "description": "Always null"})
    elif paginated:
        page_cls = type(
            f"{base}Page", (PageOut,), {"items": ma.fields.List(ma.fields.Nested(data_schema), required=True)}
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
    """Every error answer: `message` is one of the keys listed in the response's description."""

    success = ma.fields.Boolean(required=True, metadata={"description": "Always false"})
    message = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[A-Z][A-Z0-9_]*$"),
        metadata={"description": "UPPER_SNAKE error key, e.g. VALIDATION_ERROR, GAME_NOT_FOUND"},
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Per field (or `_schema`), what is wrong with it; present on VALIDATION_ERROR"},
    )
    data = ma.fields.Dict(
        keys=ma.fields.String(),
        values=Json(),
        metadata={"description": "What the client needs to act, on the few errors that carry it (amounts in euros)"},
    )


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


def staff_required(func: Callable) -> Callable:
    """Moderators and admins (a token whose role claim is one of them); sets g.user_id and g.role."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        g.user_id = get_jwt_identity()
        g.role = get_jwt().get("role")
        if g.role not in STAFF:
            raise Forbidden("MODERATOR_REQUIRED")
        return func(*args, **kwargs)

    wrapper._staff_only = True
    return _with_security(wrapper)


def rate_limited(*kinds: str) -> Callable:
    """Mark a view for one or more rate limits, applied by the factory (app.core.extensions.apply_rate_limits):
    `auth`, `money`, `mail` (per client address), `mail_address` (per email address in the body) and `reports`
    (per user)."""

    def decorator(func: Callable) -> Callable:
        func._rate_limit = kinds or ("auth",)
        return func

    return decorator


def audited(action: str) -> Callable:
    """Name the action an admin route performs in the audit log (`wallet.adjust`: `<kind>.<verb>`, the kind
    naming its target). Every successful mutating admin request writes one entry (app/core/audit_trail.py);
    tests/api/test_audit_log.py fails for such a route that declares no name."""

    if not is_action(action):
        raise ValueError(f"not a dotted action name: {action!r}")

    def decorator(func: Callable) -> Callable:
        func._audit_action = action
        return func

    return decorator


def audit_change(*, before: dict | None, after: dict | None = None) -> None:
    """What this admin request changed, for its audit entry: the fields before and after (after defaults to
    the answer's data). Secrets are left out wherever they come from."""
    g.audit_change = {"before": before, "after": after}


def request_origin() -> dict:
    """Where the request being served comes from (nothing outside a request): the client's address as
    ProxyFix leaves it, the request id of the logs, and the token's user and role once checked."""
    if not has_request_context():
        return {}
    return {
        "ip": request.remote_addr,
        "request_id": g.get("request_id"),
        "user_id": g.get("user_id"),
        "role": g.get("role"),
    }


def current_user_id() -> str:
    return g.user_id


def error_responses(blp, errors: dict[int, str | None]) -> Callable:
    """Document a route's domain errors in the OpenAPI document, each status with its error keys first:
    `@error_responses(blp, {404: "ONLUS_NOT_FOUND", 409: "INSUFFICIENT_BALANCE: not enough credits"})` under
    @blp.response. (401, 403 for admin routes, 404 for path ids, 400/413/422 for bodies and 429 are added
    for every operation automatically, app.core.extensions.ErrorResponses; a path id's 404 key is the
    route's own, and `{404: None}` says a route with a path id never answers 404; a malformed path id
    answers the first 404 key, app.core.extensions.init_routes.)"""

    def decorator(func: Callable) -> Callable:
        for status, description in sorted(errors.items(), reverse=True):
            if status == 404 and description:
                func._not_found = re.match(r"[A-Z][A-Z0-9_]*", description).group()
            if description is None:
                func._never_answers = {*getattr(func, "_never_answers", ()), status}
            else:
                func = blp.alt_response(status, schema=ErrorEnvelope, description=description)(func)
        return func

    return decorator
