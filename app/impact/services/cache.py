"""The impact module's cache keys and TTLs, over flask-caching.

Values are cached per key with the TTL of their kind and deleted when the data under them changes.
Community figures feed many keys (every dashboard); instead of finding those keys, a
generation number is part of them and a change bumps the generation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask_caching import Cache

log = logging.getLogger(__name__)

TTL = {
    "user_summary": 600,  # impact:user:{user_id}:summary      10 minutes
    "dashboard": 900,  # impact:user:{user_id}:dashboard    15 minutes
    "community_stats": 1800,  # impact:community:stats             30 minutes
    "onlus_metrics": 300,  # impact:onlus:{onlus_id}:metrics     5 minutes
    "story_unlocks": 3600,  # impact:user:{user_id}:unlocks      60 minutes
    "story_catalog": 300,  # impact:stories:active (only install_catalog changes it)
}
_GEN_KEY = "impact:community:gen"


class ImpactCache:
    def __init__(self, cache: Cache | None, *, ttl_overrides: dict | None = None, enabled: bool = True):
        self.cache = cache
        self.ttl = {**TTL, **(ttl_overrides or {})}
        self.enabled = enabled and cache is not None

    # -- keys ------------------------------------------------------------------------------
    def _gen(self) -> int:
        return int(self._get(_GEN_KEY) or 0)

    def user_summary_key(self, user_id: str) -> str:
        return f"impact:user:{user_id}:summary"

    def dashboard_key(self, user_id: str) -> str:
        return f"impact:user:{user_id}:dashboard:{self._gen()}"

    def community_key(self, variant: str = "") -> str:
        return f"impact:community:stats{variant}:{self._gen()}"

    def onlus_metrics_key(self, onlus_id: str, variant: str = "") -> str:
        return f"impact:onlus:{onlus_id}:metrics{variant}"

    def unlocks_key(self, user_id: str) -> str:
        return f"impact:user:{user_id}:unlocks"

    def story_catalog_key(self) -> str:
        return "impact:stories:active"

    def catalog_changed(self) -> None:
        self._delete(self.story_catalog_key())

    # -- operations -----------------------------------------------------------------------
    def remember(self, key: str, kind: str, compute: Callable[[], Any]) -> Any:
        if not self.enabled:
            return compute()
        value = self._get(key)
        if value is not None:
            return value
        value = compute()
        self._set(key, value, self.ttl[kind])
        return value

    def put(self, key: str, kind: str, value: Any) -> None:
        if self.enabled:
            self._set(key, value, self.ttl[kind])

    def user_changed(self, user_id: str) -> None:
        self._delete(self.user_summary_key(user_id), self.dashboard_key(user_id), self.unlocks_key(user_id))

    def forget_user(self, user_id: str, _replacements=None) -> None:
        """A deleted account: its cached views, and the community figures (its leaderboard place) go."""
        self.user_changed(user_id)
        self.community_changed()

    def onlus_changed(self, onlus_id: str) -> None:
        self._delete(self.onlus_metrics_key(onlus_id), self.onlus_metrics_key(onlus_id, ":30"))

    def community_changed(self) -> None:
        """Every community-derived key (stats, all dashboards) becomes unreachable at once."""
        if not self.enabled:
            return
        try:
            # get + set rather than inc: racing bumps may collapse into one, which still moves
            # past the old generation; timeout=0 keeps the counter from expiring back to a used value
            self.cache.set(_GEN_KEY, self._gen() + 1, timeout=0)
        except Exception:  # a cache outage must not fail a write path
            log.warning("impact cache: generation bump failed", exc_info=True)

    # -- guarded backend calls (a cache outage degrades to computing) --------------------
    def _get(self, key: str):
        if not self.enabled:
            return None
        try:
            return self.cache.get(key)
        except Exception:
            log.warning("impact cache: get %s failed", key, exc_info=True)
            return None

    def _set(self, key: str, value: Any, ttl: int) -> None:
        try:
            self.cache.set(key, value, timeout=ttl)
        except Exception:
            log.warning("impact cache: set %s failed", key, exc_info=True)

    def _delete(self, *keys: str) -> None:
        if not self.enabled:
            return
        try:
            self.cache.delete_many(*keys)
        except Exception:
            log.warning("impact cache: delete failed", exc_info=True)
