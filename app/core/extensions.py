"""Flask extensions, each built per app by the factory (nothing is created at import time)."""

from __future__ import annotations

import logging
import threading

import marshmallow as ma
import swagger_ui_bundle
from apispec import BasePlugin
from flask import Flask, request, send_from_directory
from flask_caching import Cache
from flask_cors import CORS
from flask_jwt_extended import decode_token
from flask_limiter import Limiter
from flask_limiter.constants import ConfigVars, HeaderNames
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_socketio import SocketIO
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.routing import BaseConverter, Map

from app.core.api import (
    JSON_OBJECT_SCHEMA,
    JSON_VALUE_SCHEMA,
    OBJECT_ID_PARAMETER,
    Computed,
    ErrorEnvelope,
    ObjectIdConverter,
)
from app.core.errors import NotFound
from app.core.maintenance import blocks as maintenance_blocks
from app.core.models.user import normalize_email

log = logging.getLogger(__name__)


class GoodPlayApi(Api):
    """flask-smorest's Api, with the OpenAPI document built on first use instead of at start-up.

    Documenting ~130 operations costs more than everything else create_app does; the document is
    only needed when someone asks for /api/openapi.json or /api/docs. `register_blueprint` therefore
    does what flask-smorest's does minus the documentation: it registers the blueprint with Flask and
    with this Api (the `blp_name_to_api` map behind `flask_smorest.current_api`; flask-smorest is pinned
    and tests/api/test_core_openapi.py checks that `current_api` still finds this Api); the
    documentation is written when the spec is first read.
    """

    ERROR_SCHEMA = ErrorEnvelope
    # No catch-all "default" response: every status an operation can answer is listed (see
    # ErrorResponses), so "the response matches the documented schema" means something.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask):
        self._spec = None
        self._undocumented: list = []
        self._doc_lock = threading.Lock()
        super().__init__(app, spec_kwargs={"extra_plugins": [ErrorResponses(app)]})
        app.url_map.converters["oid"] = ObjectIdConverter
        self.register_converter(ObjectIdConverter, lambda converter: dict(OBJECT_ID_PARAMETER))
        # Only standard formats: JSON Schema's is "uri" (apispec writes "url").
        self.register_field(ma.fields.Url, "string", "uri")
        self.ma_plugin.converter.add_attribute_function(computed2properties)
        self.ma_plugin.converter.add_attribute_function(constant2properties)
        self.ma_plugin.converter.add_attribute_function(nullable_reference)
        self._spec.components.schema("JsonValue", JSON_VALUE_SCHEMA)
        self._spec.components.schema("JsonObject", JSON_OBJECT_SCHEMA)
        # flask-smorest documents its own pagination header and metadata; pages here are the envelope's
        # data ({items, page, per_page, total, total_pages}), so neither is part of this API.
        self._spec.components.headers_lazy.pop("PAGINATION", None)
        self._spec.components.schemas.pop("PaginationMetadata", None)

    @property
    def spec(self):
        if self._undocumented:
            with self._doc_lock:
                pending, self._undocumented = self._undocumented, []
                for blp, name, parameters in pending:
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))


def computed2properties(self, field, **kwargs) -> dict:
    """apispec attribute function: a Computed field is documented as the field it dumps as."""
    return self.field2property(field.as_field) if isinstance(field, Computed) else {}


_JSON_TYPE_NAMES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def constant2properties(self, field, **kwargs) -> dict:
    """apispec attribute function: a Constant field is its one value, typed."""
    if not isinstance(field, ma.fields.Constant):
        return {}
    name = next((name for kind, name in _JSON_TYPE_NAMES if isinstance(field.constant, kind)), None)
    return {"type": name, "enum": [field.constant]} if name else {}


_NULL_OBJECT = {"type": "object", "nullable": True}


def nullable_reference(self, field, ret, **kwargs) -> dict:
    """apispec attribute function, run after its own nullable one: OpenAPI 3.0 cannot say "this schema or
    null" with a bare $ref, and apispec's `anyOf: [{type: object, nullable: true}, $ref]` reads as "any
    object" to a generator. `allOf: [$ref], nullable: true` reads as the referenced schema or null."""
    choices = ret.get("anyOf")
    if not choices or _NULL_OBJECT not in choices:
        return {}
    ret.pop("anyOf")
    return {"allOf": [choice for choice in choices if choice != _NULL_OBJECT], "nullable": True}


# Each description lists the error keys (`message`) first: "KEY, KEY: why". A route's own keys for the
# same status (error_responses) are appended; a path id's 404 key is always the route's own.
_ERROR_DESCRIPTIONS = {
    400: "INVALID_JSON: the body is not valid JSON",
    401: "TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED: no valid access token",
    403: "ADMIN_REQUIRED: authenticated but not an administrator",
    413: "PAYLOAD_TOO_LARGE: the body exceeds MAX_CONTENT_LENGTH",
    422: "VALIDATION_ERROR: invalid, missing or unknown fields (`errors` names them)",
    429: "RATE_LIMIT_EXCEEDED: too many requests; retry after the Retry-After header's seconds",
    503: "DATABASE_UNAVAILABLE: the database cannot be reached; retry after the Retry-After header's seconds",
}
_STAFF_ONLY = "MODERATOR_REQUIRED: authenticated but neither a moderator nor an administrator"
_MAINTENANCE = (
    "MAINTENANCE: the operator's maintenance mode is on (`data.message` is the banner); only reads, sign-in "
    "and admins get through"
)
_UNDECLARED_404 = "Unknown resource, or another user's private resource"


def _view_flag(view, name: str):
    while view is not None:
        value = getattr(view, name, None)
        if value:
            return value
        view = getattr(view, "__wrapped__", None)
    return None


class ErrorResponses(BasePlugin):
    """An apispec plugin: adds to every operation the error statuses it can answer by construction (auth,
    admin, path ids, bodies, query strings, rate limits), each described by its error keys. Domain errors
    (409, the 404 of a path id, a 404 for an id in the body...) are documented by each route with
    app.core.api.error_responses; for a status both know, the description lists both's keys."""

    ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}

    def __init__(self, app: Flask):
        self.app = app

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.schema("ErrorEnvelope", schema=ErrorEnvelope)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = set()
            if operation.get("security"):
                statuses.add(401)
            if view is not None and (_view_flag(view, "_admin_only") or _view_flag(view, "_staff_only")):
                statuses.add(403)
            if path and "{" in path:
                statuses.add(404)
            if "requestBody" in operation:
                statuses.update((400, 413, 422))
            if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
                statuses.add(422)
            if view is not None and _view_flag(view, "_rate_limit"):
                statuses.add(429)
            statuses.add(503)
            if view is not None:
                statuses -= set(_view_flag(view, "_never_answers") or ())
            responses = operation["responses"]
            for status in sorted(statuses):
                general = _ERROR_DESCRIPTIONS.get(status, _UNDECLARED_404)
                # flask-smorest keys a route's own responses by int, and the 422 of @blp.arguments is the
                # name of a generic component: one response per status, the route's own keys kept.
                declared = [responses.pop(key) for key in (status, str(status)) if key in responses]
                own = [d["description"] for d in declared if isinstance(d, dict) and d.get("description")]
                if status not in _ERROR_DESCRIPTIONS and own:
                    general = None  # a path id's 404: only the route knows its key
                if status == 403 and view is not None and _view_flag(view, "_staff_only"):
                    general = _STAFF_ONLY
                if status == 503 and path and maintenance_blocks(method.upper(), path):
                    own.append(_MAINTENANCE)
                description = "; ".join([general] * bool(general) + [d for d in own if d != general])
                responses[str(status)] = {
                    "description": description,
                    "content": {"application/json": {"schema": dict(self.ERROR_REF)}},
                }


def init_api(app: Flask) -> Api:
    return GoodPlayApi(app)


def init_routes(app: Flask) -> None:
    """Two routing rules Werkzeug does not know:
    - a literal path belongs to its literal route: asked with a method that route does not take, it answers
      405, never as a parameter of another route (PUT /api/games/modes/active is no mode "active");
    - a path that misses every route only because an `<oid:...>` id in it is malformed answers what that
      route answers for an id that names nothing: 404 with the route's own key (its documented 404)."""
    tables: dict = {}

    def built() -> dict:
        if not tables:  # on first need: every blueprint is registered by then
            rules = list(app.url_map.iter_rules())
            literal: dict[str, set] = {}
            for rule in rules:
                if not rule.arguments:
                    literal.setdefault(rule.rule, set()).update(rule.methods or ())
            lenient = Map([r.empty() for r in rules if "<oid:" in r.rule], converters={"oid": BaseConverter})
            tables.update(literal=literal, lenient=lenient)
        return tables

    @app.before_request
    def _route_rules():
        rule = request.url_rule
        if rule is not None:
            methods = built()["literal"].get(request.path) if rule.arguments else None
            if methods:
                raise MethodNotAllowed(valid_methods=sorted(methods))
        elif isinstance(request.routing_exception, NoRoute):
            try:
                endpoint, _ = built()["lenient"].bind_to_environ(request.environ).match()
            except HTTPException:
                return
            raise NotFound(_view_flag(app.view_functions[endpoint], "_not_found") or "NOT_FOUND")


def same_origin_or(origins: list[str]):
    """python-engineio's `cors_allowed_origins` callable: an Origin is accepted when it is listed, or when it
    is the server's own (the scheme and Host the request came with, as ProxyFix leaves them behind trusted
    proxies); a request without Origin (no browser) is never refused by engineio."""
    listed = {o.rstrip("/").lower() for o in origins}

    def allowed(origin: str | None, environ: dict) -> bool:
        if not origin:
            return False
        origin = origin.rstrip("/").lower()
        if origin in listed or "*" in listed:
            return True
        host = environ.get("HTTP_HOST")
        return bool(host) and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}".lower()

    return allowed


def init_socketio(app: Flask) -> SocketIO:
    return SocketIO(
        app,
        async_mode="threading",
        cors_allowed_origins=same_origin_or(app.config["CORS_ORIGINS"] or []),
        message_queue=app.config.get("REDIS_URL"),
        logger=False,
        engineio_logger=False,
    )


def init_cache(app: Flask) -> Cache:
    return Cache(app)


def init_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from exactly TRUSTED_PROXIES hops (rate limits and logs see the client)."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def rate_limit_header_names(config) -> list[str]:
    """The names flask-limiter writes its X-RateLimit-* headers under (configurable there)."""
    return [
        config.get(ConfigVars.HEADER_LIMIT, HeaderNames.LIMIT.value),
        config.get(ConfigVars.HEADER_REMAINING, HeaderNames.REMAINING.value),
        config.get(ConfigVars.HEADER_RESET, HeaderNames.RESET.value),
    ]


def init_cors(app: Flask) -> None:
    """CORS for /api/*: the configured origins, the headers a browser client needs to read, a cached preflight."""
    exposed = ["Content-Disposition", "Idempotent-Replayed", "X-Request-ID", "Retry-After"]
    CORS(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        expose_headers=exposed + rate_limit_header_names(app.config),
        max_age=app.config["CORS_MAX_AGE"],
    )

    @app.after_request
    def _vary_on_origin(response):
        # flask-cors adds Vary only when several origins are configured; with one, a shared cache could
        # still hand an answer made for an allowed origin to a denied one (or the other way round)
        if request.path.startswith("/api/"):
            response.vary.add("Origin")
        return response


def init_docs(app: Flask) -> None:
    """Serve Swagger UI's files from the pinned swagger-ui-bundle package at OPENAPI_SWAGGER_UI_URL (a path of
    this app), so /api/docs works with no internet."""
    base = app.config["OPENAPI_SWAGGER_UI_URL"]
    if not base.startswith("/"):
        return  # a CDN chosen explicitly
    root = str(swagger_ui_bundle.swagger_ui_path)

    def swagger_ui_asset(filename: str):
        return send_from_directory(root, filename, max_age=86400)

    app.add_url_rule(base.rstrip("/") + "/<path:filename>", "swagger_ui_asset", swagger_ui_asset)


def _rate_key() -> str:
    """Per user when a valid bearer token is present, else per client address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return "user:" + decode_token(header[7:])["sub"]
        except Exception:  # noqa: BLE001 - any bad token falls back to the address
            pass
    return "ip:" + (get_remote_address() or "-")


def _email_key() -> str:
    """Per email address in the JSON body (whoever asks for it), so one address cannot be flooded with mail."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "email:" + (normalize_email(email) if isinstance(email, str) else "-")


def init_limiter(app: Flask) -> Limiter:
    # Flask runs after_request functions in reverse order of registration: registered before the limiter's
    # own, this one sees the headers the limiter wrote
    app.after_request(_retry_after_only_when_asked_to_wait)
    return Limiter(
        key_func=get_remote_address, app=app, default_limits=[], storage_uri=app.config["RATELIMIT_STORAGE_URI"]
    )


def _retry_after_only_when_asked_to_wait(response):
    """flask-limiter writes Retry-After on every answer of a limited route; it means "wait" only on 429/503."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def apply_rate_limits(app: Flask, limiter: Limiter) -> None:
    """Wrap the views marked with @rate_limited (app.core.api) in their configured limit."""
    limits = {
        "auth": (app.config["AUTH_RATE_LIMIT"], get_remote_address),
        "money": (app.config["MONEY_RATE_LIMIT"], _rate_key),
        "mail": (app.config["FORGOT_PASSWORD_RATE_LIMIT"], get_remote_address),
        "mail_address": (app.config["FORGOT_PASSWORD_RATE_LIMIT"], _email_key),
        "reports": (app.config["REPORT_RATE_LIMIT"], _rate_key),
    }
    for endpoint, view in list(app.view_functions.items()):
        for kind in getattr(view, "_rate_limit", ()):
            spec, key = limits[kind]
            app.view_functions[endpoint] = limiter.limit(spec, key_func=key)(app.view_functions[endpoint])
