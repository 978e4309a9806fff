from flask import g

from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, page_of, page_window
from app.social.schemas import (
    SocialChallengeIn,
    SocialChallengeListQuery,
    SocialChallengeOut,
    SocialChallengeParticipantOut,
    SocialPageQuery,
)
from app.social.services import services

blp = Blueprint(
    "social_challenges",
    __name__,
    url_prefix="/api/social/challenges",
    description="Community challenges: shared goals with participants, progress and rewards",
)


def challenges():
    return services().challenges


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(SocialChallengeListQuery, location="query")
@blp.response(200, Envelope(SocialChallengeOut, paginated=True))
def list_challenges(query):
    items, total = challenges().page(
        current_user_id(), status=query.get("status"), joined=query["joined"], **page_window(query)
    )
    return ok("CHALLENGES_RETRIEVED", page_of(query, items, total))


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(SocialChallengeIn)
@blp.response(201, Envelope(SocialChallengeOut))
@error_responses(blp, {403: "ADMIN_REQUIRED: reward_points above what a user may offer"})
def create_challenge(body):
    """Start a challenge (you join it). 'friends' visibility: only your friends see and join it."""
    target = body.get("target_amount") if body["metric"] == "donation_cents" else body.get("target")
    data = challenges().create(
        current_user_id(),
        is_admin=g.role == "admin",
        title=body["title"],
        description=body["description"],
        metric=body["metric"],
        target=target,
        days=body["days"],
        visibility=body["visibility"],
        reward_points=body["reward_points"],
    )
    return ok("CHALLENGE_CREATED", data)


@blp.route("/<oid:challenge_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(SocialChallengeOut))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND"})
def get_challenge(challenge_id):
    return ok("CHALLENGE_RETRIEVED", challenges().get(current_user_id(), challenge_id))


@blp.route("/<oid:challenge_id>/join", methods=["POST"])
@login_required
@blp.response(200, Envelope(SocialChallengeOut))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND", 409: "CHALLENGE_NOT_ACTIVE, CHALLENGE_ALREADY_JOINED"})
def join_challenge(challenge_id):
    return ok("CHALLENGE_JOINED", challenges().join(current_user_id(), challenge_id))


@blp.route("/<oid:challenge_id>/leave", methods=["POST"])
@login_required
@blp.response(200, Envelope(SocialChallengeOut))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND, CHALLENGE_PARTICIPATION_NOT_FOUND", 409: "CHALLENGE_CANNOT_LEAVE"})
def leave_challenge(challenge_id):
    """Leave before contributing (contributions stay part of the challenge's history)."""
    return ok("CHALLENGE_LEFT", challenges().leave(current_user_id(), challenge_id))


@blp.route("/<oid:challenge_id>/participants", methods=["GET"])
@login_required
@blp.arguments(SocialPageQuery, location="query")
@blp.response(200, Envelope(SocialChallengeParticipantOut, paginated=True))
@error_responses(blp, {404: "CHALLENGE_NOT_FOUND"})
def participants(query, challenge_id):
    items, total = challenges().participants(current_user_id(), challenge_id, **page_window(query))
    return ok("CHALLENGE_PARTICIPANTS_RETRIEVED", page_of(query, items, total))
