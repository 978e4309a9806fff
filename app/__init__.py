"""GoodPlay application factory: builds the objects and registers the routes; writes nothing.

Setting up a database (indexes, catalogs, demo data) is the `goodplay init` command (app/cli.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from flask import Flask

from app import core, donations, games, impact, social
from app.cli import init_cli
from app.core.bodies import init_json_bodies
from app.core.database import CommandCounter, connect
from app.core.dispatcher import Dispatcher
from app.core.errors import register_error_handlers
from app.core.extensions import (
    apply_rate_limits,
    init_api,
    init_cache,
    init_cors,
    init_docs,
    init_limiter,
    init_proxy_fix,
    init_routes,
    init_socketio,
)
from app.core.headers import init_security_headers
from app.core.hooks import HookManager
from app.core.infrastructure import EXTENSION, Infrastructure
from app.core.jsonutil import GoodPlayJSONProvider
from app.core.logging import configure_logging
from app.core.mail import init_mail
from app.core.metrics import command_phase, core_figures, init_metrics
from app.core.scheduler import Job
from app.core.services import CoreServices
from app.core.transactions import Transactions
from app.donations.services import DonationsServices
from app.games.services import GamesServices
from app.impact.services import ImpactServices
from app.social.services import SocialServices
from config.settings import build_config

# The order handlers of one event run in: a module's subscriptions run after those of the modules before it.
MODULES = (core, social, games, donations, impact)

T = TypeVar("T")


@dataclass(frozen=True)
class GoodPlay:
    """Everything the factory built for one app (`app.extensions["goodplay"]`)."""

    infra: Infrastructure
    core: CoreServices
    social: SocialServices
    games: GamesServices
    donations: DonationsServices
    impact: ImpactServices
    jobs: tuple[Job, ...]

    def of(self, kind: type[T]) -> T:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, kind):
                return value
        raise LookupError(f"no {kind.__name__} in this app")

    def modules(self) -> list[tuple[Any, Any]]:
        """(module, its services) in MODULES order."""
        return [(module, getattr(self, module.__name__.rsplit(".", 1)[1])) for module in MODULES]


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json = GoodPlayJSONProvider(app)
    app.config.from_mapping(build_config(overrides))
    configure_logging(app)

    commands = CommandCounter(command_phase)
    db = connect(app.config, listeners=[commands])
    hooks = HookManager(
        db,
        logging.getLogger("goodplay.hooks"),
        max_attempts=app.config["HOOK_MAX_ATTEMPTS"],
        retry_base_seconds=app.config["HOOK_RETRY_BASE_SECONDS"],
        done_flush_seconds=app.config["HOOK_DONE_FLUSH_SECONDS"],
    )
    if app.config["HOOKS_DEFERRED"]:
        hooks.defer_to(
            Dispatcher(
                hooks.dispatch,
                dispatch_many=hooks.dispatch_many,
                threads=app.config["HOOK_DISPATCH_THREADS"],
                max_backlog=app.config["HOOK_DISPATCH_MAX_BACKLOG"],
                batch_pause_seconds=app.config["HOOK_DISPATCH_PAUSE_MS"] / 1000,
                context=app.app_context,
            )
        )
    for module in MODULES:  # every event type exists before any module subscribes to it
        for event in module.EVENTS:
            hooks.register_event(event)
    infra = Infrastructure(
        config=app.config,
        db=db,
        transactions=Transactions(db),
        hooks=hooks,
        socketio=init_socketio(app),
        cache=init_cache(app),
        limiter=init_limiter(app),
        commands=commands,
    )

    core_s = core.build(infra, recipients=donations.recipients(infra))
    donations_s = donations.build(
        infra, users=core_s.users, preferences=core_s.preference_lookups, mail=core_s.mail, runtime=core_s.settings
    )
    games_s = games.build(infra, users=core_s.users, wallet=donations_s.wallet, credits=donations_s.credits)
    social_s = social.build(
        infra,
        users=core_s.users,
        preferences=core_s.preference_lookups,
        games=games_s.directory,
        push=impact.live_push(infra),
    )
    impact_s = impact.build(
        infra,
        users=core_s.users,
        preferences=core_s.preference_lookups,
        tokens=core_s.tokens,
        social=social_s.graph,
        donations=donations_s.donations,
        onlus=donations_s.onlus,
        play=games_s.directory,
        mail=core_s.mail,
    )
    core_s = core.with_privacy(
        core_s,
        infra,
        modules=[social_s.personal_data, games_s.personal_data, donations_s.personal_data, impact_s.personal_data],
        settlement=donations_s.settlement,
    )
    core_s = core.with_public_limits(core_s, limits=[donations_s.rates])
    social_s = social.with_moderated_content(social_s, {**games_s.moderated, **impact_s.moderated})
    built = {"core": core_s, "social": social_s, "games": games_s, "donations": donations_s, "impact": impact_s}

    init_proxy_fix(app)
    init_cors(app)
    init_json_bodies(app)
    api = init_api(app)
    init_routes(app)
    init_docs(app)
    init_security_headers(app)
    init_mail(app)
    jobs: list[Job] = []
    for module in MODULES:
        name = module.__name__.rsplit(".", 1)[1]
        module.init_app(app, api, built[name])
        hooks.subscribe_all(module.handlers.subscriptions(built[name]))
        jobs.extend(module.jobs.schedule(built[name]))
    apply_rate_limits(app, infra.limiter)
    init_metrics(app, [*core_figures(infra), *donations.figures(donations_s)])
    register_error_handlers(app)
    app.extensions[EXTENSION] = GoodPlay(infra=infra, jobs=tuple(jobs), **built)
    init_cli(app)
    return app
