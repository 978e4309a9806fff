"""Flask extensions, each built per app by the factory (nothing is created at import time)."""
from __future__ import annotations

import logging
import threading

import click
from flask import Flask, request
from flask_caching import Cache
from flask_cors import CORS
from flask_jwt_extended import decode_token
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_socketio import SocketIO

from app.core.api import ErrorEnvelope

log = logging.getLogger(__name__)


class GoodPlayApi(Api):
    """flask-smorest's Api, with the OpenAPI document built on first use instead of at start-up.

    Documenting ~130 operations costs more than everything else create_app does; the document is
    only needed when someone asks for /api/openapi.json or /api/docs.
    """

    ERROR_SCHEMA = ErrorEnvelope

    def __init__(self, app=None, **kwargs):
        self._spec = None
        self._undocumented: list = []
        self._doc_lock = threading.Lock()
        super().__init__(app, **kwargs)

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


def init_api(app: Flask) -> Api:
    return GoodPlayApi(app)


def init_socketio(app: Flask) -> SocketIO:
    origins = app.config["CORS_ORIGINS"] or []
    return SocketIO(app, async_mode="threading", cors_allowed_origins=origins or None,
                    message_queue=app.config.get("REDIS_URL"), logger=False, engineio_logger=False)


def init_cache(app: Flask) -> Cache:
    return Cache(app)


def init_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from exactly TRUSTED_PROXIES hops (rate limits and logs see the client)."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_cors(app: Flask) -> None:
    CORS(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
         expose_headers=["X-Request-ID", "Retry-After"])


def _rate_key() -> str:
    """Per user when a valid bearer token is present, else per client address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return "user:" + decode_token(header[7:])["sub"]
        except Exception:  # noqa: BLE001 - any bad token falls back to the address
            pass
    return "ip:" + (get_remote_address() or "-")


def init_limiter(app: Flask) -> Limiter:
    return Limiter(key_func=get_remote_address, app=app, default_limits=[],
                   storage_uri=app.config["RATELIMIT_STORAGE_URI"])


def apply_rate_limits(app: Flask, limiter: Limiter) -> None:
    """Wrap the views marked with @rate_limited (app.core.api) in their configured limit."""
    limits = {"auth": (app.config["AUTH_RATE_LIMIT"], get_remote_address),
              "money": (app.config["MONEY_RATE_LIMIT"], _rate_key)}
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, "_rate_limit", None)
        if kind:
            spec, key = limits[kind]
            app.view_functions[endpoint] = limiter.limit(spec, key_func=key)(view)


def seed_demo_data(app: Flask, container) -> None:
    with app.app_context():
        for name, seed in container.seeders:
            log.info("seeding demo data: %s", name)
            seed()


def init_cli(app: Flask, container) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--first-name", default="GoodPlay")
    @click.option("--last-name", default="Admin")
    def create_admin(email, password, first_name, last_name):
        """Create an admin account (or promote an existing one)."""
        user = container.service("auth").ensure_admin(email=email, password=password,
                                                      first_name=first_name, last_name=last_name)
        click.echo(f"admin {user['email']} ready (id {user['_id']})")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo games, ONLUS, stories and achievements (idempotent)."""
        seed_demo_data(app, container)
        click.echo("demo data loaded")

    @app.cli.command("retry-hooks")
    def retry_hooks():
        """Run one hook-manager retry pass now."""
        click.echo(container.hooks.retry_pass())
