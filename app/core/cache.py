"""A value read through the shared cache (flask-caching: in-process, or Redis when REDIS_URL is set).

For small, rarely written data read on hot paths (the game catalog, the game modes): the value is
kept for `ttl` seconds and dropped by `forget()` whenever a write changes it. With Redis every process
sees the drop at once; with the in-process cache another process may serve the old value for up to
`ttl` seconds. A cache outage degrades to reading the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class CachedValue:
    def __init__(self, cache, key: str, ttl: int, compute: Callable[[], Any]):
        self.cache, self.key, self.ttl, self.compute = cache, key, ttl, compute

    def get(self) -> Any:
        if self.cache is None:
            return self.compute()
        try:
            value = self.cache.get(self.key)
        except Exception:
            log.warning("cache: get %s failed", self.key, exc_info=True)
            return self.compute()
        if value is None:
            value = self.compute()
            try:
                self.cache.set(self.key, value, timeout=self.ttl)
            except Exception:
                log.warning("cache: set %s failed", self.key, exc_info=True)
        return value

    def forget(self) -> None:
        if self.cache is None:
            return
        try:
            self.cache.delete(self.key)
        except Exception:
            log.warning("cache: delete %s failed", self.key, exc_info=True)
