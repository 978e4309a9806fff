"""Core module: accounts, tokens, profiles, preferences, health, the hook-manager admin."""
from __future__ import annotations

from app.core import events
from app.core.controllers import admin_events, auth, health, preferences, users
from app.core.repositories.preferences import PreferencesRepository
from app.core.repositories.tokens import TokenRepository
from app.core.repositories.users import UserRepository
from app.core.security import init_jwt
from app.core.services.auth_service import AuthService
from app.core.services.passwords import PasswordHasher
from app.core.services.preferences_service import PreferencesService
from app.core.services.tokens import TokenService
from app.core.services.user_service import UserService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (health.blp, auth.blp, users.blp, preferences.blp, admin_events.blp)


def init_app(app, api, container) -> None:
    db, hooks = container.db, container.hooks

    users_repo, tokens_repo, prefs_repo = UserRepository(db), TokenRepository(db), PreferencesRepository(db)
    for repo in (users_repo, tokens_repo, prefs_repo):
        repo.create_indexes()

    token_service = TokenService(tokens_repo, refresh_lifetime=app.config["JWT_REFRESH_TOKEN_EXPIRES"],
                                 cache=container.cache, cache_seconds=app.config["TOKEN_REVOCATION_CACHE_SECONDS"])
    hasher = PasswordHasher(fast=app.config["APP_ENV"] == "testing")
    container.register("users", UserService(users_repo))
    container.register("preferences", PreferencesService(prefs_repo, cache=container.cache))
    container.register("auth", AuthService(users=users_repo, tokens=token_service, hasher=hasher, hooks=hooks))
    init_jwt(app, token_service)

    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    container.add_job("hooks_retry_pass", hooks.retry_pass, trigger="interval", seconds=60)


def bootstrap_admin(app, container) -> None:
    """GOODPLAY_ADMIN_EMAIL + GOODPLAY_ADMIN_PASSWORD => that admin exists after start-up."""
    email, password = app.config.get("GOODPLAY_ADMIN_EMAIL"), app.config.get("GOODPLAY_ADMIN_PASSWORD")
    if email and password:
        container.service("auth").ensure_admin(email=email, password=password)
