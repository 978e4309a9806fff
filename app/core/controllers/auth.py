from flask import request
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from app.core.api import Envelope, error_responses, login_required, ok, rate_limited
from app.core.schemas import ChangePasswordIn, LoginIn, LogoutIn, RegisterIn, TokensOut, UserWithTokensOut
from app.core.services import services

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Accounts and tokens")


@blp.route("/register", methods=["POST"])
@rate_limited("auth")
@blp.arguments(RegisterIn)
@blp.response(201, Envelope(UserWithTokensOut))
@error_responses(blp, {409: "EMAIL_ALREADY_EXISTS (emails are unique regardless of case)"})
def register(body):
    user, tokens = services().auth.register(**body)
    return ok("USER_REGISTERED", {"user": user, **tokens})


@blp.route("/login", methods=["POST"])
@rate_limited("auth")
@blp.arguments(LoginIn)
@blp.response(200, Envelope(UserWithTokensOut))
@error_responses(blp, {401: "INVALID_CREDENTIALS or ACCOUNT_DISABLED"})
def login(body):
    user, tokens = services().auth.login(**body)
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
    return ok("PASSWORD_CHANGED")
