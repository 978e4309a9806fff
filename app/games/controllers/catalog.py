from flask_jwt_extended import get_jwt, verify_jwt_in_request

from app.core.api import Blueprint, Envelope, admin_required, audited, error_responses, ok, page_of, page_window
from app.games.schemas import GameListQuery, GameOut
from app.games.services import services

blp = Blueprint(
    "games",
    __name__,
    url_prefix="/api/games",
    description="The games catalog: each game is a plugin with its own scoring rules",
)


def _is_admin() -> bool:
    verify_jwt_in_request(optional=True)
    return (get_jwt() or {}).get("role") == "admin"


@blp.route("", methods=["GET"])
@blp.arguments(GameListQuery, location="query")
@blp.response(200, Envelope(GameOut, paginated=True))
def list_games(query):
    """Active games, filtered by `category` and a name search `q` (admins may add `include_inactive`)."""
    active_only = not (query["include_inactive"] and _is_admin())
    rows, total = services().catalog.list(
        active_only=active_only, category=query.get("category"), search=query.get("q"), **page_window(query)
    )
    return ok("GAMES_RETRIEVED", page_of(query, rows, total))


@blp.route("/<game_id>", methods=["GET"])
@blp.response(200, Envelope(GameOut))
@error_responses(blp, {404: "GAME_NOT_FOUND"})
def get_game(game_id):
    """One game (also an inactive one, so clients can say it is unavailable)."""
    return ok("GAME_RETRIEVED", services().catalog.get(game_id))


@blp.route("/<game_id>/activate", methods=["POST"])
@admin_required
@audited("game.activate")
@blp.response(200, Envelope(GameOut))
@error_responses(blp, {404: "GAME_NOT_FOUND"})
def activate_game(game_id):
    """Admin: let players start this game again."""
    return ok("GAME_ACTIVATED", services().catalog.set_active(game_id, True))


@blp.route("/<game_id>/deactivate", methods=["POST"])
@admin_required
@audited("game.deactivate")
@blp.response(200, Envelope(GameOut))
@error_responses(blp, {404: "GAME_NOT_FOUND"})
def deactivate_game(game_id):
    """Admin: no new sessions of this game can start (open ones may still end)."""
    return ok("GAME_DEACTIVATED", services().catalog.set_active(game_id, False))
