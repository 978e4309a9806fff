"""The core module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.hooks import HookManager
from app.core.infrastructure import services_of
from app.core.services.auth_service import AuthService
from app.core.services.health_service import HealthService
from app.core.services.preferences_service import PreferencesService
from app.core.services.tokens import TokenService
from app.core.services.user_service import UserService


@dataclass(frozen=True)
class CoreServices:
    users: UserService
    preferences: PreferencesService
    auth: AuthService
    tokens: TokenService
    health: HealthService
    events: HookManager  # the outbox, for its admin routes


def services() -> CoreServices:
    return services_of(CoreServices)
