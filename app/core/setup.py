"""Database set-up of the core module (run by the init command, never at start-up)."""

from __future__ import annotations

from app.core.infrastructure import Infrastructure
from app.core.repositories.account_tokens import AccountTokenRepository
from app.core.repositories.audit import AuditRepository
from app.core.repositories.job_runs import JobRunRepository
from app.core.repositories.mail import MailOutboxRepository
from app.core.repositories.preferences import PreferencesRepository
from app.core.repositories.tokens import TokenRepository
from app.core.repositories.users import UserRepository
from app.core.services import CoreServices


def install_schema(infra: Infrastructure) -> None:
    infra.hooks.create_indexes()
    for repo in (
        UserRepository(infra.db),
        TokenRepository(infra.db),
        PreferencesRepository(infra.db),
        JobRunRepository(infra.db),
        MailOutboxRepository(infra.db),
        AccountTokenRepository(infra.db),
        AuditRepository(infra.db),
    ):
        repo.create_indexes()


def install_content(infra: Infrastructure, services: CoreServices, *, demo: bool) -> None:
    """The bootstrap admin: GOODPLAY_ADMIN_EMAIL + GOODPLAY_ADMIN_PASSWORD => that admin exists."""
    email, password = infra.config.get("GOODPLAY_ADMIN_EMAIL"), infra.config.get("GOODPLAY_ADMIN_PASSWORD")
    if email and password:
        services.auth.ensure_admin(email=email, password=password)
