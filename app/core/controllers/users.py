from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, rate_limited
from app.core.schemas import ChangeEmailIn, DeleteAccountIn, DeletedAccountOut, ExportOut, ProfileIn, UserOnlyOut
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


@blp.route("/export", methods=["GET"])
@login_required
@rate_limited("auth")
@blp.response(200, Envelope(ExportOut))
def export_data():
    """Everything GoodPlay holds about you, as JSON: profile, preferences, sessions, ledger, wallet, donations
    with their receipts, compliance records, achievements, friends, scores, leaderboard entries, notifications,
    stories, impact totals and your security log. Other users appear by id only."""
    return ok("DATA_EXPORTED", services().privacy.export(current_user_id()))


@blp.route("", methods=["DELETE"])
@login_required
@rate_limited("auth")
@blp.arguments(DeleteAccountIn)
@blp.response(200, Envelope(DeletedAccountOut))
@error_responses(
    blp,
    {
        401: "INVALID_CREDENTIALS: wrong password",
        404: "ONLUS_NOT_FOUND (donate_balance_to)",
        409: "WALLET_NOT_EMPTY: a balance of EUR 0.50 or more needs `donate_balance_to` (data: balance, minimum); "
        "DONATION_UNDER_REVIEW: money is held for a compliance review (data: held)",
        422: "ONLUS_NOT_ACCEPTING_DONATIONS, and the limits of a donation",
    },
)
def delete_account(body):
    """Delete your account. Every session and socket ends; friends, leaderboard places, the inbox, stories and
    preferences are removed; your name, address, network addresses and KYC documents are erased. The ledger,
    donations and receipts stay, as the law requires, with the donor shown as "Deleted user" and marked
    `deleted`. The address can register again.

    The money left in your wallet: from EUR 0.50 (the minimum donation) it is donated, as a normal donation
    with its receipt, to the verified ONLUS you name in `donate_balance_to` (without one the answer is 409
    WALLET_NOT_EMPTY with the balance, and nothing is deleted); a smaller balance cannot be donated and is
    forfeited. Money held for a review blocks the deletion until the review ends."""
    settled = services().privacy.delete(
        current_user_id(), password=body["password"], donate_balance_to=body.get("donate_balance_to")
    )
    return ok("ACCOUNT_DELETED", settled)
