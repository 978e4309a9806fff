"""Values read through the shared cache (flask-caching: in-process, or Redis when REDIS_URL is set).

For small, rarely written data read on hot paths (the game catalog, the game modes, a user's preferences
as the handlers read them): the value is kept for `ttl` seconds and dropped by `forget()` whenever a write
changes it. With Redis every process sees the drop at once; with the in-process cache another process may
serve the old value for up to `ttl` seconds. A cache outage degrades to reading the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def _read_through(cache, key: str, ttl: int, compute: Callable[[], Any]) -> Any:
    if cache is None:
        return compute()
    try:
        value = cache.get(key)
    except Exception:
        log.warning("cache: get %s failed", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=ttl)
        except Exception:
            log.warning("cache: set %s failed", key, exc_info=True)
    return value


def _drop(cache, key: str) -> None:
    if cache is None:
        return
    try:
        cache.delete(key)
    except Exception:
        log.warning("cache: delete %s failed", key, exc_info=True)


class CachedValue:
    def __init__(self, cache, key: str, ttl: int, compute: Callable[[], Any]):
        self.cache, self.key, self.ttl, self.compute = cache, key, ttl, compute

    def get(self) -> Any:
        return _read_through(self.cache, self.key, self.ttl, self.compute)

    def forget(self) -> None:
        _drop(self.cache, self.key)


class CachedValues:
    """One cached value per key (e.g. per user), each dropped on its own."""

    def __init__(self, cache, prefix: str, ttl: int, compute: Callable[[str], Any]):
        self.cache, self.prefix, self.ttl, self.compute = cache, prefix, ttl, compute

    def get(self, key: str) -> Any:
        return _read_through(self.cache, f"{self.prefix}:{key}", self.ttl, lambda: self.compute(key))

    def forget(self, key: str) -> None:
        _drop(self.cache, f"{self.prefix}:{key}")
