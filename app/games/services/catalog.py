"""The games catalog: plugin discovery, look-ups, admin (de)activation."""

from __future__ import annotations

import logging

from flask_caching import Cache

from app.core.cache import CachedValue
from app.core.errors import Conflict, NotFound
from app.games.models.plugin import GamePlugin
from app.games.plugins import load_plugins
from app.games.repositories.games import GameRepository
from app.games.services.clock import Clock

log = logging.getLogger(__name__)


def game_view(doc: dict) -> dict:
    """The public shape of a catalog entry (also what GameDirectory.get_game hands other modules)."""
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "category": doc["category"],
        "description": doc.get("description", ""),
        "difficulty": doc.get("difficulty"),
        "min_players": doc.get("min_players", 1),
        "max_players": doc.get("max_players", 1),
        "estimated_duration_minutes": doc.get("estimated_duration_minutes"),
        "score_step": doc.get("score_step", 1),
        "max_score_per_minute": doc.get("max_score_per_minute"),
        "max_score": doc.get("max_score"),
        "version": doc.get("version"),
        "is_active": bool(doc.get("is_active")),
        "is_available": doc.get("is_available", True) is not False,
        "created_at": doc.get("created_at"),
        "updated_at": doc.get("updated_at"),
    }


CATALOG_TTL = 30  # seconds


class CatalogService:
    def __init__(self, games: GameRepository, *, clock: Clock, cache: Cache, plugin_package: str = "app.games.plugins"):
        self.games = games
        self.clock = clock
        self.plugin_package = plugin_package
        self.plugins: dict[str, GamePlugin] = load_plugins(plugin_package)
        # every session start reads its game: the catalog (a few plugin games) is kept in the cache
        self.cached = CachedValue(cache, "games:catalog", CATALOG_TTL, lambda: {g["_id"]: g for g in games.all()})

    def discover_plugins(self) -> list[str]:
        """Load every plugin again and upsert the catalog (idempotent; the init command runs it)."""
        self.plugins = load_plugins(self.plugin_package)
        now = self.clock()
        for game_id, plugin in self.plugins.items():
            self.games.upsert_plugin(game_id, plugin.catalog_entry(), now)
        gone = self.games.mark_missing_unavailable(list(self.plugins), now)
        self.cached.forget()
        if gone:
            log.warning("%d catalog games have no plugin any more and were made unavailable", gone)
        return sorted(self.plugins)

    def plugin(self, game_id: str) -> GamePlugin | None:
        return self.plugins.get(game_id)

    def get(self, game_id: str) -> dict:
        doc = self.cached.get().get(game_id)
        if doc is None:
            raise NotFound("GAME_NOT_FOUND")
        return game_view(doc)

    def find(self, game_id: str) -> dict | None:
        doc = self.cached.get().get(game_id)
        return game_view(doc) if doc else None

    def playable(self, game_id: str) -> tuple[dict, GamePlugin]:
        """The game and its rules, or why it cannot be started now."""
        game = self.get(game_id)
        plugin = self.plugins.get(game_id)
        if not game["is_active"]:
            raise Conflict("GAME_INACTIVE")
        if plugin is None or not game["is_available"]:
            raise Conflict("GAME_UNAVAILABLE")
        return game, plugin

    def list(
        self,
        *,
        active_only: bool = True,
        category: str | None = None,
        search: str | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> tuple[list[dict], int]:
        rows, total = self.games.find(active_only=active_only, category=category, search=search, skip=skip, limit=limit)
        return [game_view(r) for r in rows], total

    def set_active(self, game_id: str, active: bool) -> dict:
        doc = self.games.set_active(game_id, active, self.clock())
        self.cached.forget()
        if doc is None:
            raise NotFound("GAME_NOT_FOUND")
        log.info("game %s %s", game_id, "activated" if active else "deactivated")
        return game_view(doc)
