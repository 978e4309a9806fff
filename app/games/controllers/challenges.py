from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, page_of, page_window
from app.games.schemas import GameChallengeCreateIn, GameChallengeListQuery, GameChallengeOut
from app.games.services import services

blp = Blueprint(
    "game_challenges",
    __name__,
    url_prefix="/api/games/challenges",
    description="Direct challenges, 1v1 and NvN; only participants can see or act on one",
)


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(GameChallengeCreateIn)
@blp.response(201, Envelope(GameChallengeOut))
@error_responses(blp, {404: "GAME_NOT_FOUND", 409: "GAME_INACTIVE, GAME_UNAVAILABLE"})
def create_challenge(body):
    """Challenge `opponent_ids` on a game; for NvN add `teammate_ids` (sides of equal size)."""
    challenge = services().challenges.create(current_user_id(), **body)
    return ok("CHALLENGE_CREATED", challenge)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(GameChallengeListQuery, location="query")
@blp.response(200, Envelope(GameChallengeOut, paginated=True))
def list_challenges(query):
    """Challenges I take part in, newest first."""
    rows, total = services().challenges.list(current_user_id(), status=query.get("status"), **page_window(query))
    return ok("CHALLENGES_RETRIEVED", page_of(query, rows, total))


@blp.route("/<oid:challenge_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND"})
def get_challenge(challenge_id):
    return ok("CHALLENGE_RETRIEVED", services().challenges.get(challenge_id, current_user_id()))


@blp.route("/<oid:challenge_id>/accept", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(
    blp, {404: "CHALLENGE_NOT_FOUND", 409: "CHALLENGE_ALREADY_ANSWERED, CHALLENGE_NOT_PENDING, CHALLENGE_EXPIRED"}
)
def accept_challenge(challenge_id):
    """When the last invited player accepts, the challenge becomes active and its clock starts."""
    return ok("CHALLENGE_ACCEPTED", services().challenges.accept(challenge_id, current_user_id()))


@blp.route("/<oid:challenge_id>/decline", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(
    blp, {404: "CHALLENGE_NOT_FOUND", 409: "CHALLENGE_ALREADY_ANSWERED, CHALLENGE_NOT_PENDING, CHALLENGE_EXPIRED"}
)
def decline_challenge(challenge_id):
    return ok("CHALLENGE_DECLINED", services().challenges.decline(challenge_id, current_user_id()))


@blp.route("/<oid:challenge_id>/cancel", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND", 409: "ONLY_CHALLENGER_CAN_CANCEL, CHALLENGE_NOT_PENDING"})
def cancel_challenge(challenge_id):
    """The challenger withdraws a challenge nobody has started yet."""
    return ok("CHALLENGE_CANCELLED", services().challenges.cancel(challenge_id, current_user_id()))
