"""Game plugins: every module in this package exposing `PLUGIN` (a GamePlugin) is a game.

`load_plugins()` walks the package with pkgutil; the catalog service upserts what it
finds into the `games` collection when the init command runs (CatalogService.discover_plugins).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from app.games.models.plugin import GamePlugin

log = logging.getLogger(__name__)


def load_plugins(package: str = __name__) -> dict[str, GamePlugin]:
    """{game_id: plugin} for every valid plugin module in `package` (broken ones are logged and skipped)."""
    pkg = importlib.import_module(package)
    found: dict[str, GamePlugin] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}")
        except Exception:  # a broken plugin must not take the whole catalog down
            log.exception("game plugin %s failed to import", info.name)
            continue
        plugin = getattr(module, "PLUGIN", None)
        if not isinstance(plugin, GamePlugin):
            continue
        if plugin.id in found:
            log.error("game id %s declared twice (%s); keeping the first", plugin.id, info.name)
            continue
        found[plugin.id] = plugin
    return found
