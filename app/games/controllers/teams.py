from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, page_of, page_window
from app.games.schemas import GameTeamCreateIn, GameTeamListQuery, GameTeamOut, GameTeamRoleIn
from app.games.services import services

blp = Blueprint(
    "game_teams",
    __name__,
    url_prefix="/api/games/teams",
    description="Global teams: one team per player, roles owner/admin/member, size limit",
)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(GameTeamListQuery, location="query")
@blp.response(200, Envelope(GameTeamOut, paginated=True))
def list_teams(query):
    rows, total = services().teams.list(search=query.get("q"), **page_window(query))
    return ok("TEAMS_RETRIEVED", page_of(query, rows, total))


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(GameTeamCreateIn)
@blp.response(201, Envelope(GameTeamOut))
@error_responses(blp, {409: "ALREADY_IN_TEAM, TEAM_NAME_TAKEN"})
def create_team(body):
    """Found a team (you become its owner); 409 ALREADY_IN_TEAM / TEAM_NAME_TAKEN."""
    return ok("TEAM_CREATED", services().teams.create(current_user_id(), **body))


@blp.route("/mine", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND: you are not in a team"})
def my_team():
    return ok("TEAM_RETRIEVED", services().teams.mine(current_user_id()))


@blp.route("/<oid:team_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND"})
def get_team(team_id):
    return ok("TEAM_RETRIEVED", services().teams.get(team_id))


@blp.route("/<oid:team_id>/join", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND", 409: "ALREADY_IN_TEAM, TEAM_FULL"})
def join_team(team_id):
    """Join (409 TEAM_FULL when every seat is taken, ALREADY_IN_TEAM when you have a team)."""
    return ok("TEAM_JOINED", services().teams.join(current_user_id(), team_id))


@blp.route("/<oid:team_id>/leave", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND, TEAM_MEMBERSHIP_NOT_FOUND"})
def leave_team(team_id):
    """Leave; an owner hands the team to the longest-serving admin (else member)."""
    return ok("TEAM_LEFT", services().teams.leave(current_user_id(), team_id))


@blp.route("/<oid:team_id>/members/<oid:user_id>", methods=["DELETE"])
@login_required
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND, TEAM_MEMBERSHIP_NOT_FOUND", 403: "TEAM_PERMISSION_DENIED"})
def remove_member(team_id, user_id):
    """Owner removes admins/members; admins remove members (403 TEAM_PERMISSION_DENIED otherwise)."""
    return ok("TEAM_MEMBER_REMOVED", services().teams.remove_member(current_user_id(), team_id, user_id))


@blp.route("/<oid:team_id>/members/<oid:user_id>", methods=["PUT"])
@login_required
@blp.arguments(GameTeamRoleIn)
@blp.response(200, Envelope(GameTeamOut))
@error_responses(blp, {404: "TEAM_NOT_FOUND, TEAM_MEMBERSHIP_NOT_FOUND", 403: "TEAM_PERMISSION_DENIED"})
def set_member_role(body, team_id, user_id):
    """Owner only: make a member an admin or back."""
    return ok("TEAM_MEMBER_UPDATED", services().teams.set_role(current_user_id(), team_id, user_id, body["role"]))
