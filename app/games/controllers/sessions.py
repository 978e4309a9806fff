from app.core.api import (
    Blueprint,
    Envelope,
    ErrorEnvelope,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
    rate_limited,
)
from app.games.schemas import (
    GameSessionEndIn,
    GameSessionEndOut,
    GameSessionListQuery,
    GameSessionOut,
    GameSessionStartIn,
    GameSessionSyncIn,
)
from app.games.services import services
from app.games.services.sessions import UNSET

blp = Blueprint(
    "game_sessions",
    __name__,
    url_prefix="/api/games/sessions",
    description="Game sessions: start, sync across devices, pause/resume, end (server-measured time)",
)


def _view(doc):
    return services().sessions.view(doc)


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(GameSessionStartIn)
@blp.response(201, Envelope(GameSessionOut))
@blp.alt_response(
    404, schema=ErrorEnvelope, description="GAME_NOT_FOUND, MODE_NOT_FOUND, CHALLENGE_NOT_FOUND, TOURNAMENT_NOT_FOUND"
)
@blp.alt_response(
    409,
    schema=ErrorEnvelope,
    description="SESSION_ALREADY_ACTIVE, GAME_INACTIVE, MODE_NOT_ACTIVE, "
    "CHALLENGE_NOT_ACTIVE, CHALLENGE_ALREADY_PLAYED, TOURNAMENT_NOT_ACTIVE, NOT_REGISTERED",
)
def start_session(body):
    """Start playing. One open session per game: 409 SESSION_ALREADY_ACTIVE while another is open.
    Pass `challenge_id` / `tournament_id` to play for a challenge or a tournament."""
    doc = services().sessions.start(
        current_user_id(),
        body["game_id"],
        mode_key=body.get("mode_key"),
        challenge_id=body.get("challenge_id"),
        tournament_id=body.get("tournament_id"),
        device_id=body.get("device_id"),
    )
    return ok("SESSION_STARTED", _view(doc))


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(GameSessionListQuery, location="query")
@blp.response(200, Envelope(GameSessionOut, paginated=True))
def list_sessions(query):
    """My sessions, newest first, optionally by `status` and `game_id`."""
    rows, total = services().sessions.list(
        current_user_id(), status=query.get("status"), game_id=query.get("game_id"), **page_window(query)
    )
    return ok("SESSIONS_RETRIEVED", page_of(query, rows, total))


@blp.route("/<oid:session_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameSessionOut))
@error_responses(blp, {404: "SESSION_NOT_FOUND"})
def get_session(session_id):
    """One of my sessions (with its state, to continue on another device)."""
    return ok("SESSION_RETRIEVED", _view(services().sessions.get(current_user_id(), session_id)))


@blp.route("/<oid:session_id>", methods=["PUT"])
@login_required
@blp.arguments(GameSessionSyncIn)
@blp.response(200, Envelope(GameSessionOut))
@blp.alt_response(404, schema=ErrorEnvelope, description="SESSION_NOT_FOUND (also another user's session)")
@blp.alt_response(
    409,
    schema=ErrorEnvelope,
    description="SESSION_VERSION_CONFLICT (stale `version`), SESSION_ALREADY_ENDED, SESSION_EXPIRED",
)
def sync_session(body, session_id):
    """Save progress (`score`, `state`). Send the `version` you last saw: a stale one gets
    409 SESSION_VERSION_CONFLICT (reload the session, then retry)."""
    doc = services().sessions.sync(
        current_user_id(),
        session_id,
        score=body.get("score"),
        state=body.get("state", UNSET),
        version=body.get("version"),
        device_id=body.get("device_id"),
    )
    return ok("SESSION_SYNCED", _view(doc))


@blp.route("/<oid:session_id>/pause", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameSessionOut))
@error_responses(blp, {404: "SESSION_NOT_FOUND"})
def pause_session(session_id):
    """Stop the clock: paused time does not count as play time."""
    return ok("SESSION_PAUSED", _view(services().sessions.pause(current_user_id(), session_id)))


@blp.route("/<oid:session_id>/resume", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameSessionOut))
@error_responses(blp, {404: "SESSION_NOT_FOUND"})
def resume_session(session_id):
    return ok("SESSION_RESUMED", _view(services().sessions.resume(current_user_id(), session_id)))


@blp.route("/<oid:session_id>/end", methods=["POST"])
@login_required
@rate_limited("money")  # ending credits the wallet
@blp.arguments(GameSessionEndIn)
@blp.response(200, Envelope(GameSessionEndOut))
@blp.alt_response(404, schema=ErrorEnvelope, description="SESSION_NOT_FOUND (also another user's session)")
@blp.alt_response(
    409,
    schema=ErrorEnvelope,
    description="SESSION_EXPIRED (abandoned after inactivity), SESSION_VOIDED (a moderator voided its score)",
)
@blp.alt_response(
    422,
    schema=ErrorEnvelope,
    description="SCORE_NOT_PLAUSIBLE: impossible for the measured play "
    "time under the game's rules (errors.final_score says why)",
)
def end_session(body, session_id):
    """Finish with `final_score`, checked against the game's rules for the server-measured play time
    (422 SCORE_NOT_PLAUSIBLE). Ending again returns the same result and credits nothing more."""
    result = services().sessions.end(
        current_user_id(),
        session_id,
        final_score=body["final_score"],
        play_seconds=body.get("play_seconds"),
        state=body.get("state", UNSET),
    )
    return ok("SESSION_ENDED", {"session": _view(result["session"]), "credits_cents": result["credits_cents"]})
