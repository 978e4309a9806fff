from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, page_of, page_window
from app.social.schemas import (
    BlockedUserOut,
    BlockOut,
    FriendOut,
    FriendRequestOut,
    FriendRequestsOut,
    SocialPageQuery,
    SocialSearchQuery,
    SocialSearchResultOut,
    SocialUserIdIn,
    UnfriendOut,
)
from app.social.services import services

blp = Blueprint("social", __name__, url_prefix="/api/social", description="Friends, requests, blocks, user search")
people = Blueprint("people", __name__, url_prefix="/api/user", description="Finding people")


def friends():
    return services().friends


@blp.route("/friends/requests", methods=["POST"])
@login_required
@blp.arguments(SocialUserIdIn)
@blp.response(201, Envelope(FriendRequestOut))
@error_responses(
    blp,
    {
        403: "FRIEND_REQUESTS_DISABLED by the other user's privacy settings",
        404: "USER_NOT_FOUND",
        409: "ALREADY_FRIENDS, FRIEND_REQUEST_ALREADY_SENT, FRIEND_REQUEST_ALREADY_RECEIVED, USER_BLOCKED",
    },
)
def send_request(body):
    """Ask another user to be friends (one relationship per pair)."""
    return ok("FRIEND_REQUEST_SENT", friends().send_request(current_user_id(), body["user_id"]))


@blp.route("/friends/requests", methods=["GET"])
@login_required
@blp.response(200, Envelope(FriendRequestsOut))
def list_requests():
    """Pending requests sent to me and by me."""
    return ok("FRIEND_REQUESTS_RETRIEVED", friends().requests(current_user_id()))


@blp.route("/friends/requests/<oid:request_id>/accept", methods=["POST"])
@login_required
@blp.response(200, Envelope(FriendRequestOut))
@error_responses(blp, {404: "FRIEND_REQUEST_NOT_FOUND", 409: "FRIEND_REQUEST_NOT_PENDING"})
def accept_request(request_id):
    return ok("FRIEND_REQUEST_ACCEPTED", friends().accept(current_user_id(), request_id))


@blp.route("/friends/requests/<oid:request_id>/decline", methods=["POST"])
@login_required
@blp.response(200, Envelope(FriendRequestOut))
@error_responses(blp, {404: "FRIEND_REQUEST_NOT_FOUND", 409: "FRIEND_REQUEST_NOT_PENDING"})
def decline_request(request_id):
    return ok("FRIEND_REQUEST_DECLINED", friends().decline(current_user_id(), request_id))


@blp.route("/friends/requests/<oid:request_id>/cancel", methods=["POST"])
@login_required
@blp.response(200, Envelope(FriendRequestOut))
@error_responses(blp, {404: "FRIEND_REQUEST_NOT_FOUND", 409: "FRIEND_REQUEST_NOT_PENDING"})
def cancel_request(request_id):
    """Withdraw a request I sent that is still pending."""
    return ok("FRIEND_REQUEST_CANCELLED", friends().cancel(current_user_id(), request_id))


@blp.route("/friends", methods=["GET"])
@login_required
@blp.arguments(SocialPageQuery, location="query")
@blp.response(200, Envelope(FriendOut, paginated=True))
def list_friends(query):
    items, total = friends().friends_page(current_user_id(), **page_window(query))
    return ok("FRIENDS_RETRIEVED", page_of(query, items, total))


@blp.route("/friends/<oid:user_id>", methods=["DELETE"])
@login_required
@blp.response(200, Envelope(UnfriendOut))
@error_responses(blp, {404: "FRIEND_NOT_FOUND"})
def unfriend(user_id):
    friends().unfriend(current_user_id(), user_id)
    return ok("FRIEND_REMOVED", {"user_id": user_id})


@blp.route("/blocks", methods=["POST"])
@login_required
@blp.arguments(SocialUserIdIn)
@blp.response(200, Envelope(BlockOut))
@error_responses(blp, {404: "USER_NOT_FOUND"})
def block_user(body):
    """Block a user: ends any friendship or request; they can no longer send requests or find you."""
    friends().block(current_user_id(), body["user_id"])
    return ok("USER_BLOCKED", {"user_id": body["user_id"], "blocked": True})


@blp.route("/blocks/<oid:user_id>", methods=["DELETE"])
@login_required
@blp.response(200, Envelope(BlockOut))
@error_responses(blp, {404: "BLOCK_NOT_FOUND"})
def unblock_user(user_id):
    friends().unblock(current_user_id(), user_id)
    return ok("USER_UNBLOCKED", {"user_id": user_id, "blocked": False})


@blp.route("/blocks", methods=["GET"])
@login_required
@blp.arguments(SocialPageQuery, location="query")
@blp.response(200, Envelope(BlockedUserOut, paginated=True))
def list_blocks(query):
    items, total = friends().blocked_page(current_user_id(), **page_window(query))
    return ok("BLOCKED_USERS_RETRIEVED", page_of(query, items, total))


@blp.route("/users/search", methods=["GET"])
@login_required
@blp.arguments(SocialSearchQuery, location="query")
@blp.response(200, Envelope(SocialSearchResultOut, many=True))
def search_users(query):
    """Find people to add by name: no emails, nobody you blocked or who blocked you, nobody whose profile
    is private, and people whose profile is for friends only when you are friends."""
    return ok("USERS_FOUND", friends().search(current_user_id(), query["q"], query["limit"]))


@people.route("/search", methods=["GET"])
@login_required
@people.arguments(SocialSearchQuery, location="query")
@people.response(200, Envelope(SocialSearchResultOut, many=True))
def search_people(query):
    """The same search as `GET /api/social/users/search`."""
    return ok("USERS_FOUND", friends().search(current_user_id(), query["q"], query["limit"]))
