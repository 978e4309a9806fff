from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
)
from app.games.schemas import TournamentCreateIn, TournamentLeaderboardOut, TournamentListQuery, TournamentOut
from app.games.services import services

blp = Blueprint(
    "game_tournaments",
    __name__,
    url_prefix="/api/games/tournaments",
    description="Tournaments (individual or team): seats, leaderboard, ranked results and rewards",
)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(TournamentListQuery, location="query")
@blp.response(200, Envelope(TournamentOut, paginated=True))
def list_tournaments(query):
    rows, total = services().tournaments.list(
        status=query.get("status"), type_=query.get("type"), **page_window(query), user_id=current_user_id()
    )
    return ok("TOURNAMENTS_RETRIEVED", page_of(query, rows, total))


@blp.route("", methods=["POST"])
@admin_required
@audited("tournament.create")
@blp.arguments(TournamentCreateIn)
@blp.response(201, Envelope(TournamentOut))
@error_responses(blp, {404: "GAME_NOT_FOUND"})
def create_tournament(body):
    """Admin: a tournament; it is active at once when `starts_at` has passed, else scheduled."""
    svc = services().tournaments
    return ok("TOURNAMENT_CREATED", svc.view(svc.create(current_user_id(), body)))


@blp.route("/<oid:tournament_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(TournamentOut))
@error_responses(blp, {404: "TOURNAMENT_NOT_FOUND"})
def get_tournament(tournament_id):
    return ok("TOURNAMENT_RETRIEVED", services().tournaments.get(tournament_id, current_user_id()))


@blp.route("/<oid:tournament_id>/join", methods=["POST"])
@login_required
@blp.response(200, Envelope(TournamentOut))
@error_responses(
    blp,
    {
        404: "TOURNAMENT_NOT_FOUND",
        403: "TEAM_PERMISSION_DENIED: only a team captain registers the team",
        409: "TEAM_REQUIRED, TOURNAMENT_CLOSED, ALREADY_REGISTERED, TOURNAMENT_FULL",
    },
)
def join_tournament(tournament_id):
    """Take a seat (team tournaments: a team owner/admin registers the team). 409 TOURNAMENT_FULL,
    ALREADY_REGISTERED, TOURNAMENT_CLOSED."""
    return ok("TOURNAMENT_JOINED", services().tournaments.join(current_user_id(), tournament_id))


@blp.route("/<oid:tournament_id>/leave", methods=["POST"])
@login_required
@blp.response(200, Envelope(TournamentOut))
@error_responses(
    blp, {404: "TOURNAMENT_NOT_FOUND", 403: "TEAM_PERMISSION_DENIED", 409: "NOT_REGISTERED, TOURNAMENT_ALREADY_STARTED"}
)
def leave_tournament(tournament_id):
    """Give the seat back before the tournament starts."""
    return ok("TOURNAMENT_LEFT", services().tournaments.leave(current_user_id(), tournament_id))


@blp.route("/<oid:tournament_id>/leaderboard", methods=["GET"])
@login_required
@blp.response(200, Envelope(TournamentLeaderboardOut))
@error_responses(blp, {404: "TOURNAMENT_NOT_FOUND"})
def tournament_leaderboard(tournament_id):
    """Live standings while active; the final ranking (with rewards) once completed."""
    return ok("TOURNAMENT_LEADERBOARD_RETRIEVED", services().tournaments.leaderboard(tournament_id))


@blp.route("/<oid:tournament_id>/end", methods=["POST"])
@admin_required
@audited("tournament.end")
@blp.response(200, Envelope(TournamentOut))
@error_responses(blp, {404: "TOURNAMENT_NOT_FOUND", 409: "TOURNAMENT_NOT_ACTIVE"})
def end_tournament(tournament_id):
    """Admin "end now": rank the results and pay rewards (once: repeating this returns the same results)."""
    return ok("TOURNAMENT_COMPLETED", services().tournaments.end_now(tournament_id))
