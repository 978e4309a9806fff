"""Core module: accounts, tokens, profiles, preferences, health, the hook-manager admin."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.core import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.core.controllers import admin_events, auth, health, preferences, users
from app.core.infrastructure import Infrastructure
from app.core.repositories.health import HealthRepository
from app.core.repositories.preferences import PreferencesRepository
from app.core.repositories.tokens import TokenRepository
from app.core.repositories.users import UserRepository
from app.core.security import init_jwt
from app.core.services import CoreServices
from app.core.services.auth_service import AuthService
from app.core.services.health_service import HealthService
from app.core.services.passwords import PasswordHasher
from app.core.services.preferences_service import PreferencesService
from app.core.services.tokens import TokenService
from app.core.services.user_service import UserService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (health.blp, auth.blp, users.blp, preferences.blp, admin_events.blp)


def build(infra: Infrastructure) -> CoreServices:
    db, config = infra.db, infra.config
    users_repo = UserRepository(db)
    tokens = TokenService(
        TokenRepository(db),
        access_lifetime=config["JWT_ACCESS_TOKEN_EXPIRES"],
        refresh_lifetime=config["JWT_REFRESH_TOKEN_EXPIRES"],
        reuse_grace_seconds=config["REFRESH_REUSE_GRACE_SECONDS"],
        cache=infra.cache,
        cache_seconds=config["TOKEN_REVOCATION_CACHE_SECONDS"],
    )
    hasher = PasswordHasher(fast=config["APP_ENV"] == "testing")
    return CoreServices(
        users=UserService(users_repo),
        preferences=PreferencesService(PreferencesRepository(db), cache=infra.cache),
        auth=AuthService(users=users_repo, tokens=tokens, hasher=hasher, hooks=infra.hooks),
        tokens=tokens,
        health=HealthService(HealthRepository(db)),
        events=infra.hooks,
    )


def init_app(app: Flask, api: Api, services: CoreServices) -> None:
    init_jwt(app, services.tokens)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
