"""The core module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.hooks import HookManager
from app.core.infrastructure import services_of
from app.core.services.account_service import AccountService
from app.core.services.audit_service import AuditService
from app.core.services.auth_service import AuthService
from app.core.services.health_service import HealthService
from app.core.services.mail_service import MailService
from app.core.services.preferences_service import PreferenceLookups, PreferencesService
from app.core.services.privacy_service import PrivacyService
from app.core.services.public_config import PublicConfig
from app.core.services.settings_service import RuntimeSettings
from app.core.services.tokens import TokenService
from app.core.services.user_admin_service import UserAdminService
from app.core.services.user_service import UserService


@dataclass(frozen=True)
class CoreServices:
    users: UserService
    preferences: PreferencesService
    auth: AuthService
    accounts: AccountService
    mail: MailService
    tokens: TokenService
    user_admin: UserAdminService
    audit: AuditService  # contracts.AuditTrail, for the modules that record their own actions
    health: HealthService
    events: HookManager  # the outbox, for its admin routes
    settings: RuntimeSettings  # contracts.RuntimeConfig
    public_config: PublicConfig
    preference_lookups: PreferenceLookups  # contracts.UserPreferences, for the other modules
    privacy: PrivacyService | None = None  # export and deletion: added once every module is built (with_privacy)


def services() -> CoreServices:
    return services_of(CoreServices)
