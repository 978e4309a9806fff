"""GoodPlay application factory."""
from __future__ import annotations

import logging

from flask import Flask

from app import core, donations, games, impact, social
from app.core.database import connect_database
from app.core.errors import register_error_handlers
from app.core.extensions import (apply_rate_limits, init_api, init_cache, init_cli, init_cors,
                                 init_limiter, init_proxy_fix, init_socketio, seed_demo_data)
from app.core.hooks import HookManager
from app.core.container import Container
from app.core.jsonutil import GoodPlayJSONProvider
from app.core.logging import configure_logging
from config.settings import build_config

MODULES = (core, social, games, donations, impact)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json = GoodPlayJSONProvider(app)
    app.config.from_mapping(build_config(overrides))
    configure_logging(app)

    client, db, embedded = connect_database(app.config)
    hooks = HookManager(db, logging.getLogger("goodplay.hooks"),
                        max_attempts=app.config["HOOK_MAX_ATTEMPTS"],
                        retry_base_seconds=app.config["HOOK_RETRY_BASE_SECONDS"],
                        done_flush_seconds=app.config["HOOK_DONE_FLUSH_SECONDS"])
    hooks.create_indexes()
    for module in MODULES:  # every event type exists before any module subscribes to it
        for event in module.EVENTS:
            hooks.register_event(event)
    container = Container(config=app.config, db=db, hooks=hooks, socketio=init_socketio(app),
                          cache=init_cache(app), limiter=init_limiter(app))
    container.embedded_db = embedded
    app.extensions["goodplay"] = container

    init_proxy_fix(app)
    init_cors(app)
    api = init_api(app)
    for module in MODULES:
        module.init_app(app, api, container)
    apply_rate_limits(app, container.limiter)
    register_error_handlers(app)
    init_cli(app, container)

    core.bootstrap_admin(app, container)
    if app.config["SEED_DEMO_DATA"]:
        seed_demo_data(app, container)
    return app
