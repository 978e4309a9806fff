from flask import request
from flask_jwt_extended import get_jwt, jwt_required

from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, rate_limited
from app.core.errors import Forbidden, Unauthorized
from app.core.schemas import (
    ChangePasswordIn,
    ForgotPasswordIn,
    LoginIn,
    LogoutIn,
    RegisterIn,
    ResetPasswordIn,
    TokensOut,
    UserOnlyOut,
    UserWithTokensOut,
    VerifyEmailIn,
)
from app.core.services import services
from app.core.services.audit_service import PASSWORD_CHANGED

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Accounts and tokens")


@blp.route("/register", methods=["POST"])
@rate_limited("auth")
@blp.arguments(RegisterIn)
@blp.response(201, Envelope(UserWithTokensOut))
@error_responses(
    blp,
    {
        409: "EMAIL_ALREADY_EXISTS (emails are unique regardless of case)",
        403: "REGISTRATION_CLOSED: the operator has closed registration (GET /api/config/public)",
    },
)
def register(body):
    user, tokens = services().auth.register(**body)
    return ok("USER_REGISTERED", {"user": user, **tokens})


@blp.route("/login", methods=["POST"])
@rate_limited("auth")
@blp.arguments(LoginIn)
@blp.response(200, Envelope(UserWithTokensOut))
@error_responses(
    blp, {401: "INVALID_CREDENTIALS", 403: "ACCOUNT_SUSPENDED: the password is right, the account is suspended"}
)
def login(body):
    try:
        user, tokens = services().auth.login(**body)
    except (Unauthorized, Forbidden) as refused:
        services().audit.login_failed(email=body["email"], reason=refused.message)
        raise
    return ok("LOGIN_SUCCESSFUL", {"user": user, **tokens})


@blp.route("/refresh", methods=["POST"])
@rate_limited("auth")
@blp.response(200, Envelope(TokensOut))
@blp.doc(security=[{"bearerAuth": []}], description="Send the refresh token as the Bearer token.")
@jwt_required(refresh=True)
def refresh():
    return ok("TOKEN_REFRESHED", services().auth.refresh(get_jwt()))


@blp.route("/logout", methods=["POST"])
@blp.doc(
    security=[{"bearerAuth": []}],
    description="Ends the session (the token family) of the Bearer token: an access token, even expired, or "
    "the refresh token. The refresh token may come in the body instead (or as well: then both must be the "
    "same user's). A client can always log out with what it holds.",
)
@blp.arguments(LogoutIn, required=False)
@blp.response(200, Envelope())
@error_responses(blp, {401: "TOKEN_MISSING, TOKEN_INVALID (not ours, or two users' tokens), TOKEN_REVOKED"})
def logout(body):
    services().auth.logout(token=_bearer_token(), refresh_token=(body or {}).get("refresh_token"))
    return ok("LOGOUT_SUCCESSFUL")


def _bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme == "Bearer" else None


@blp.route("/password", methods=["PUT"])
@login_required
@rate_limited("auth")
@blp.arguments(ChangePasswordIn)
@blp.response(200, Envelope())
@error_responses(blp, {401: "INVALID_CREDENTIALS: wrong current password", 404: "USER_NOT_FOUND"})
def change_password(body):
    services().auth.change_password(get_jwt(), **body)
    services().audit.user_action(current_user_id(), PASSWORD_CHANGED)
    return ok("PASSWORD_CHANGED")


@blp.route("/verify-email", methods=["POST"])
@rate_limited("auth")
@blp.arguments(VerifyEmailIn)
@blp.response(200, Envelope(UserOnlyOut))
@error_responses(
    blp,
    {
        400: "LINK_INVALID: unknown, used, replaced by a newer link, or expired (24 h)",
        409: "EMAIL_ALREADY_EXISTS: the new address of an email change was taken meanwhile",
    },
)
def verify_email(body):
    """Confirm an address with the token of the emailed link: the account's own after registration, or the
    new one of an email change (which takes effect now; the old address is told). Each link works once."""
    return ok("EMAIL_VERIFIED", {"user": services().accounts.verify_email(body["token"])})


@blp.route("/resend-verification", methods=["POST"])
@login_required
@rate_limited("mail")
@blp.response(200, Envelope())
@error_responses(blp, {409: "EMAIL_ALREADY_VERIFIED"})
def resend_verification():
    """A new verification link (the earlier one stops working)."""
    services().accounts.resend_verification(current_user_id())
    return ok("VERIFICATION_SENT")


@blp.route("/password/forgot", methods=["POST"])
@rate_limited("mail", "mail_address")
@blp.arguments(ForgotPasswordIn)
@blp.response(200, Envelope())
def forgot_password(body):
    """Mail a reset link (30 min, single use) when an account has this address. The answer is the same
    either way, so it tells nobody whether an address is registered."""
    services().accounts.forgot_password(body["email"])
    return ok("PASSWORD_RESET_SENT")


@blp.route("/password/reset", methods=["POST"])
@rate_limited("auth")
@blp.arguments(ResetPasswordIn)
@blp.response(200, Envelope())
@error_responses(blp, {400: "LINK_INVALID: unknown, used, replaced by a newer link, or expired (30 min)"})
def reset_password(body):
    """Set a new password with the token of the emailed link; every session of the account ends (its sockets
    within a second), so the user logs in again."""
    services().accounts.reset_password(body["token"], body["password"])
    return ok("PASSWORD_RESET")
