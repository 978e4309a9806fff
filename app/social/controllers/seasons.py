"""Leaderboard seasons: their final standings and rewards, and the operator's definition of them (admin)."""

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
from app.social.schemas import (
    SeasonIn,
    SeasonOut,
    SeasonPrizeOut,
    SeasonStandingsOut,
    SeasonStandingsQuery,
    SocialPageQuery,
)
from app.social.services import services

blp = Blueprint("seasons", __name__, url_prefix="/api/social/seasons", description="Leaderboard seasons")
admin_blp = Blueprint(
    "admin_seasons", __name__, url_prefix="/api/admin/seasons", description="Leaderboard seasons (admin)"
)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(SocialPageQuery, location="query")
@blp.response(200, Envelope(SeasonOut, paginated=True))
def list_seasons(query):
    """Every season, the latest first: scheduled, active, closing (ended, standings being archived) or
    archived."""
    rows, total = services().seasons.page(**page_window(query))
    return ok("SEASONS_RETRIEVED", page_of(query, rows, total))


@blp.route("/me/rewards", methods=["GET"])
@login_required
@blp.response(200, Envelope(SeasonPrizeOut, many=True))
def my_rewards():
    """The season rewards you won (badges and bonus credits), the latest first."""
    return ok("SEASON_REWARDS_RETRIEVED", services().seasons.rewards_of(current_user_id()))


@blp.route("/<oid:season_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(SeasonOut))
@error_responses(blp, {404: "SEASON_NOT_FOUND"})
def get_season(season_id):
    return ok("SEASON_RETRIEVED", services().seasons.get(season_id))


@blp.route("/<oid:season_id>/standings", methods=["GET"])
@login_required
@blp.arguments(SeasonStandingsQuery, location="query")
@blp.response(200, Envelope(SeasonStandingsOut))
@error_responses(blp, {404: "SEASON_NOT_FOUND, BOARD_NOT_IN_SEASON", 409: "SEASON_NOT_ARCHIVED: not over yet"})
def season_standings(query, season_id):
    """The final standings of one of the season's boards (equal scores share a rank), with your own row as
    `me`; players who opted out of public leaderboards are listed only to themselves."""
    data = services().seasons.standings(season_id, query["board"], viewer_id=current_user_id(), **page_window(query))
    page = page_of(query, data["items"], data["total"]).as_dict()
    return ok("SEASON_STANDINGS_RETRIEVED", {**page, "me": data["me"]})


@admin_blp.route("", methods=["POST"])
@admin_required
@audited("season.create")
@admin_blp.arguments(SeasonIn)
@admin_blp.response(201, Envelope(SeasonOut))
@error_responses(admin_blp, {422: "INVALID_SEASON: the days, or the reward ranks"})
def create_season(body):
    """A season over whole UTC days: a board's season score is what its players scored on those days. When it
    ends, the final standings are archived and each rank's reward (a badge and/or a bonus credited to the
    wallet) is granted once and notified."""
    return ok("SEASON_CREATED", services().seasons.create(body, actor_id=current_user_id()))


@admin_blp.route("/<oid:season_id>", methods=["DELETE"])
@admin_required
@audited("season.cancel")
@admin_blp.response(200, Envelope())
@error_responses(admin_blp, {404: "SEASON_NOT_FOUND", 409: "SEASON_STARTED"})
def cancel_season(season_id):
    """Only a season that has not started is taken back."""
    services().seasons.cancel(season_id)
    return ok("SEASON_CANCELLED")
