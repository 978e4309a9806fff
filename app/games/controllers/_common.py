from __future__ import annotations

from app.core.api import PageQuery
from app.games.services import services as games


def page_args(query: dict) -> tuple[int, int, int]:
    """(page, per_page, skip) from a list query."""
    page, per_page = query.get("page", 1), query.get("per_page", 20)
    return page, per_page, (page - 1) * per_page


__all__ = ["PageQuery", "games", "page_args"]
