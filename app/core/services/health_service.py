"""Readiness: can this process reach its database."""

from __future__ import annotations

from app.core.repositories.health import HealthRepository


class HealthService:
    def __init__(self, repo: HealthRepository):
        self.repo = repo

    def database_ok(self) -> bool:
        return self.repo.ping()
