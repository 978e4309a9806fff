from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok
from app.social.schemas import (
    ImpactHistoryPointOut,
    ImpactHistoryQuery,
    ImpactScoreOut,
    SocialLeaderboardOut,
    SocialLeaderboardQuery,
    WeeklyWinnerOut,
)
from app.social.services import services

blp = Blueprint(
    "leaderboards",
    __name__,
    url_prefix="/api/social",
    description="Leaderboards (impact score, gaming, donations, per game) and the Impact Score",
)


@blp.route("/leaderboards/<board_type>", methods=["GET"])
@login_required
@blp.arguments(SocialLeaderboardQuery, location="query")
@blp.response(200, Envelope(SocialLeaderboardOut))
@error_responses(blp, {404: "LEADERBOARD_NOT_FOUND, GAME_NOT_FOUND, TEAM_NOT_FOUND (board filters)"})
def leaderboard(query, board_type):
    """Top N, my rank and entry, and the entries around me.

    type: impact_score | gaming | donations | game (with game_id; a game's board keeps each user's best
    session). Users who opted out of public leaderboards never appear in other users' views."""
    data = services().leaderboards.read(
        current_user_id(),
        board_type,
        period=query["period"],
        scope=query["scope"],
        game_id=query.get("game_id"),
        team_id=query.get("team_id"),
        period_value=query.get("period_key"),
        limit=query["limit"],
        around=query["around"],
    )
    return ok("LEADERBOARD_RETRIEVED", data)


@blp.route("/leaderboards/winners/<week>", methods=["GET"])
@login_required
@blp.response(200, Envelope(WeeklyWinnerOut, many=True))
@error_responses(blp, {404: None, 422: "VALIDATION_ERROR: week is not an ISO week (2026-W47)"})
def weekly_winners(week):
    """Winners announced when the ISO week (e.g. 2026-W47) closed."""
    return ok("WINNERS_RETRIEVED", services().leaderboards.winners(week))


@blp.route("/impact-score", methods=["GET"])
@login_required
@blp.response(200, Envelope(ImpactScoreOut))
def impact_score():
    """My Impact Score, its weighted components (gaming, social, donations) and my global rank."""
    return ok("IMPACT_SCORE_RETRIEVED", services().impact.summary(current_user_id()))


@blp.route("/impact-score/history", methods=["GET"])
@login_required
@blp.arguments(ImpactHistoryQuery, location="query")
@blp.response(200, Envelope(ImpactHistoryPointOut, many=True))
def impact_history(query):
    """My daily Impact Score over the last `days` days (days without a point had no change)."""
    return ok("IMPACT_HISTORY_RETRIEVED", services().impact.history(current_user_id(), query["days"]))
