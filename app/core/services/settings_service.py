"""RuntimeSettings: the operator's settings and flags, read through the shared cache and dropped on change."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from app.core.clock import utcnow
from app.core.errors import Forbidden, ServiceUnavailable
from app.core.models import settings as rules
from app.core.repositories.settings import SettingsRepository
from app.core.transactions import Transactions

log = logging.getLogger(__name__)

CACHE_KEY = "core:settings"
CACHE_SECONDS = 60  # the longest a process with its own cache (no Redis) can lag behind a change


class RuntimeSettings:
    def __init__(
        self, repo: SettingsRepository, *, transactions: Transactions, catalog: Sequence[rules.Setting], cache
    ):
        self.repo = repo
        self.transactions = transactions
        self.catalog = {s.key: s for s in catalog}
        self.cache = cache

    # -- reads ----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every setting's current value: what an operator stored, else its default."""
        stored = self._stored()
        return {key: stored[key]["value"] if key in stored else s.default for key, s in self.catalog.items()}

    def get(self, key: str) -> Any:
        return self.values()[key]

    def described(self) -> list[dict]:
        """Every setting with its value, default, type and who changed it last (the admin's view)."""
        stored = self._stored()
        return [
            {
                "key": key,
                "kind": s.kind,
                "value": stored[key]["value"] if key in stored else s.default,
                "default": s.default,
                "description": s.description,
                "public": s.public,
                "updated_at": stored.get(key, {}).get("updated_at"),
                "updated_by": stored.get(key, {}).get("updated_by"),
            }
            for key, s in self.catalog.items()
        ]

    def _stored(self) -> dict[str, dict]:
        try:
            cached = self.cache.get(CACHE_KEY) if self.cache is not None else None
        except Exception:  # a cache outage degrades to reading the store
            log.warning("settings: cache read failed", exc_info=True)
            cached = None
        if cached is not None:
            return cached
        stored = {k: v for k, v in self.repo.stored().items() if k in self.catalog}
        self._cache_set(stored)
        return stored

    # -- changes ---------------------------------------------------------------------------
    def update(self, changes: dict[str, Any], *, actor_id: str | None) -> tuple[dict, dict]:
        """Store `changes` (values already typed by the schema) together, after the rules between settings;
        (before, after) of the changed keys, for the audit log."""
        before = self.values()
        after = {**before, **changes}
        rules.check(after)
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if changed:
            self.transactions.run(
                lambda session: self.repo.save(changed, actor_id=actor_id, at=utcnow(), session=session)
            )
            self._drop()
        return {k: before[k] for k in changes}, {k: after[k] for k in changes}

    def _cache_set(self, stored: dict) -> None:
        try:
            if self.cache is not None:
                self.cache.set(CACHE_KEY, stored, timeout=CACHE_SECONDS)
        except Exception:
            log.warning("settings: cache write failed", exc_info=True)

    def _drop(self) -> None:
        try:
            if self.cache is not None:
                self.cache.delete(CACHE_KEY)
        except Exception:
            log.warning("settings: cache drop failed", exc_info=True)

    # -- the checks other services make -----------------------------------------------------------
    def require_registration_open(self) -> None:
        if not self.get(rules.REGISTRATION_OPEN):
            raise Forbidden("REGISTRATION_CLOSED")

    def require_donations_enabled(self) -> None:
        if not self.get(rules.DONATIONS_ENABLED):
            raise ServiceUnavailable("DONATIONS_DISABLED")

    def maintenance(self) -> dict:
        return rules.maintenance(self.values())

    def donation_limits(self) -> dict[str, int]:
        """{min_cents, max_cents, max_per_day_cents} of one donation and one donor's day."""
        values = self.values()
        return {
            "min_cents": int(values[rules.MIN_DONATION]),
            "max_cents": int(values[rules.MAX_DONATION]),
            "max_per_day_cents": int(values[rules.MAX_DAILY_DONATIONS]),
        }
