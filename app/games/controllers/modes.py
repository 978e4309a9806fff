from app.core.api import Blueprint, Envelope, admin_required, audited, error_responses, login_required, ok
from app.games.schemas import GameModeAtQuery, GameModeCreateIn, GameModeOut, GameModeUpdateIn
from app.games.services import services

blp = Blueprint(
    "game_modes",
    __name__,
    url_prefix="/api/games/modes",
    description="Game modes: temporary and recurring windows with score multipliers",
)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(GameModeAtQuery, location="query")
@blp.response(200, Envelope(GameModeOut, many=True))
def list_modes(query):
    """Every mode, with whether it is active at `at` (default now) and when it next starts."""
    return ok("MODES_RETRIEVED", services().modes.list_modes(query.get("at")))


@blp.route("/active", methods=["GET"])
@login_required
@blp.arguments(GameModeAtQuery, location="query")
@blp.response(200, Envelope(GameModeOut, many=True))
def active_modes(query):
    """The modes active at `at` (default now)."""
    return ok("ACTIVE_MODES_RETRIEVED", services().modes.active_modes(query.get("at")))


@blp.route("/<key>", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameModeOut))
@error_responses(blp, {404: "MODE_NOT_FOUND"})
def get_mode(key):
    return ok("MODE_RETRIEVED", services().modes.get(key))


@blp.route("", methods=["POST"])
@admin_required
@audited("game_mode.create")
@blp.arguments(GameModeCreateIn)
@blp.response(201, Envelope(GameModeOut))
@error_responses(blp, {409: "MODE_ALREADY_EXISTS"})
def create_mode(body):
    """Admin: a temporary mode (start/end dates) and/or recurring schedules (UTC)."""
    return ok("MODE_CREATED", services().modes.create_mode(body))


@blp.route("/<key>", methods=["PUT"])
@admin_required
@audited("game_mode.update")
@blp.arguments(GameModeUpdateIn)
@blp.response(200, Envelope(GameModeOut))
@error_responses(blp, {404: "MODE_NOT_FOUND"})
def update_mode(body, key):
    """Admin: switch a mode on/off, change its multiplier or dates."""
    return ok("MODE_UPDATED", services().modes.update_mode(key, body))
