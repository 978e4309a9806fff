"""Core module: accounts, tokens, profiles, preferences, health, the hook-manager admin."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flask import Flask
from flask_smorest import Api

from app.core import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.core.api import request_origin
from app.core.audit_trail import init_audit_trail
from app.core.contracts import BalanceSettlement, DonationRecipients, PersonalData, PublicLimits
from app.core.controllers import (
    admin_audit,
    admin_events,
    admin_mail,
    admin_users,
    auth,
    config,
    health,
    preferences,
    users,
)
from app.core.infrastructure import Infrastructure
from app.core.mail import mail_domain, mail_sender
from app.core.maintenance import init_maintenance
from app.core.models import settings as settings_rules
from app.core.repositories.account_tokens import AccountTokenRepository
from app.core.repositories.audit import AuditRepository
from app.core.repositories.health import HealthRepository
from app.core.repositories.mail import MailOutboxRepository
from app.core.repositories.personal_data import CoreRecords
from app.core.repositories.preferences import PreferencesRepository
from app.core.repositories.settings import SettingsRepository
from app.core.repositories.tokens import TokenRepository
from app.core.repositories.users import UserRepository
from app.core.security import init_jwt
from app.core.services import CoreServices
from app.core.services.account_service import AccountService
from app.core.services.audit_service import AuditService
from app.core.services.auth_service import AuthService
from app.core.services.health_service import HealthService
from app.core.services.mail_service import MailService
from app.core.services.passwords import PasswordHasher
from app.core.services.preferences_service import PreferenceLookups, PreferencesService
from app.core.services.privacy_service import PrivacyService
from app.core.services.public_config import PublicConfig
from app.core.services.settings_service import RuntimeSettings
from app.core.services.tokens import TokenService
from app.core.services.user_admin_service import UserAdminService
from app.core.services.user_service import UserService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (
    health.blp,
    auth.blp,
    users.blp,
    preferences.blp,
    admin_events.blp,
    admin_mail.blp,
    admin_users.blp,
    admin_audit.blp,
    config.blp,
)


def password_hasher(config) -> PasswordHasher:
    return PasswordHasher(fast=config["APP_ENV"] == "testing")


def build(infra: Infrastructure, *, recipients: DonationRecipients | None = None) -> CoreServices:
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
    hasher = password_hasher(config)
    settings = RuntimeSettings(
        SettingsRepository(db),
        transactions=infra.transactions,
        catalog=settings_rules.catalog(config),
        cache=infra.cache,
    )
    audit = AuditService(AuditRepository(db), users=users_repo, origin=request_origin)
    mail = MailService(
        MailOutboxRepository(db),
        sender=mail_sender(config),
        domain=mail_domain(config),
        send_every_seconds=config["MAIL_SEND_SECONDS"],
    )
    accounts = AccountService(
        users=users_repo,
        links=AccountTokenRepository(db),
        tokens=tokens,
        hasher=hasher,
        mail=mail,
        transactions=infra.transactions,
        frontend_url=config["FRONTEND_URL"],
    )
    preferences = PreferencesService(PreferencesRepository(db), recipients=recipients, cache=infra.cache)
    return CoreServices(
        users=UserService(users_repo),
        preferences=preferences,
        auth=AuthService(
            users=users_repo,
            tokens=tokens,
            hasher=hasher,
            hooks=infra.hooks,
            transactions=infra.transactions,
            accounts=accounts,
            settings=settings,
        ),
        accounts=accounts,
        mail=mail,
        tokens=tokens,
        user_admin=UserAdminService(users_repo, tokens),
        audit=audit,
        health=HealthService(HealthRepository(db)),
        events=infra.hooks,
        settings=settings,
        public_config=PublicConfig(settings),
        preference_lookups=PreferenceLookups(preferences),
    )


def with_public_limits(services: CoreServices, *, limits: Sequence[PublicLimits]) -> CoreServices:
    """Core's services with the limits other modules set in the public configuration."""
    return dataclasses.replace(services, public_config=PublicConfig(services.settings, limits))


def with_privacy(
    services: CoreServices,
    infra: Infrastructure,
    *,
    modules: Sequence[PersonalData],
    settlement: BalanceSettlement,
) -> CoreServices:
    """Core's services with the export and deletion of accounts, which need every module's part."""
    privacy = PrivacyService(
        users=services.users,
        records=CoreRecords(infra.db),
        tokens=services.tokens,
        hasher=password_hasher(infra.config),
        audit=services.audit,
        modules=modules,
        settlement=settlement,
    )
    return dataclasses.replace(services, privacy=privacy)


def init_app(app: Flask, api: Api, services: CoreServices) -> None:
    init_jwt(app, services.tokens)
    init_audit_trail(app, services.audit)
    init_maintenance(app, services.settings.maintenance)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
