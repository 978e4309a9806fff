from flask_smorest import Blueprint

from app.core.api import Envelope, Page, current_user_id, error_responses, login_required, ok
from app.games.controllers._common import games, page_args
from app.games.schemas import GameChallengeCreateIn, GameChallengeListQuery, GameChallengeOut

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
    challenge = games().challenges.create(current_user_id(), **body)
    return ok("CHALLENGE_CREATED", challenge)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(GameChallengeListQuery, location="query")
@blp.response(200, Envelope(GameChallengeOut, paginated=True))
def list_challenges(query):
    """Challenges I take part in, newest first."""
    page, per_page, skip = page_args(query)
    rows, total = games().challenges.list(current_user_id(), status=query.get("status"), skip=skip, limit=per_page)
    return ok("CHALLENGES_RETRIEVED", Page(rows, page, per_page, total))


@blp.route("/<challenge_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
def get_challenge(challenge_id):
    return ok("CHALLENGE_RETRIEVED", games().challenges.get(challenge_id, current_user_id()))


@blp.route("/<challenge_id>/accept", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(blp, {409: "CHALLENGE_ALREADY_ANSWERED, CHALLENGE_NOT_PENDING, CHALLENGE_EXPIRED"})
def accept_challenge(challenge_id):
    """When the last invited player accepts, the challenge becomes active and its clock starts."""
    return ok("CHALLENGE_ACCEPTED", games().challenges.accept(challenge_id, current_user_id()))


@blp.route("/<challenge_id>/decline", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(blp, {409: "CHALLENGE_ALREADY_ANSWERED, CHALLENGE_NOT_PENDING, CHALLENGE_EXPIRED"})
def decline_challenge(challenge_id):
    return ok("CHALLENGE_DECLINED", games().challenges.decline(challenge_id, current_user_id()))


@blp.route("/<challenge_id>/cancel", methods=["POST"])
@login_required
@blp.response(200, Envelope(GameChallengeOut))
@error_responses(blp, {409: "ONLY_CHALLENGER_CAN_CANCEL, CHALLENGE_NOT_PENDING"})
def cancel_challenge(challenge_id):
    """The challenger withdraws a challenge nobody has started yet."""
    return ok("CHALLENGE_CANCELLED", games().challenges.cancel(challenge_id, current_user_id()))
