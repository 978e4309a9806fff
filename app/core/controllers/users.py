from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, rate_limited
from app.core.schemas import ChangeEmailIn, ProfileIn, UserOnlyOut
from app.core.services import services

blp = Blueprint("user", __name__, url_prefix="/api/user", description="The signed-in user's profile")


@blp.route("/profile", methods=["GET"])
@login_required
@blp.response(200, Envelope(UserOnlyOut))
def get_profile():
    return ok("PROFILE_RETRIEVED", {"user": services().users.get(current_user_id())})


@blp.route("/profile", methods=["PUT"])
@login_required
@blp.arguments(ProfileIn)
@blp.response(200, Envelope(UserOnlyOut))
def update_profile(body):
    return ok("PROFILE_UPDATED", {"user": services().users.update_profile(current_user_id(), body)})


@blp.route("/email", methods=["PUT"])
@login_required
@rate_limited("mail")
@blp.arguments(ChangeEmailIn)
@blp.response(200, Envelope())
@error_responses(
    blp,
    {
        401: "INVALID_CREDENTIALS: wrong password",
        409: "EMAIL_ALREADY_EXISTS, EMAIL_UNCHANGED",
    },
)
def change_email(body):
    """Move the account to another address: a confirmation link goes to the new address and a notice to the
    current one; the account keeps its current address until the link is used (POST /api/auth/verify-email)."""
    services().accounts.request_email_change(current_user_id(), new_email=body["email"], password=body["password"])
    return ok("EMAIL_CHANGE_PENDING")
