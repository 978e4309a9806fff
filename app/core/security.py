"""JWT wiring: every token failure renders into the envelope as a 401 with its own key."""

from __future__ import annotations

from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from jwt import MissingRequiredClaimError

from app.core.errors import error_response

# Every token we issue carries these; flask-jwt-extended would default a missing `type` to "access" and a
# missing `jti` to None, and PyJWT accepts a token without `exp` as one that never expires.
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "type")


def require_claims(claims: dict) -> None:
    for name in REQUIRED_CLAIMS:
        if claims.get(name) in (None, ""):
            raise MissingRequiredClaimError(name)


def init_jwt(app, token_service) -> JWTManager:
    jwt = JWTManager(app)

    @jwt.decode_key_loader
    def _key(_header, unverified_claims):
        # the one callback that sees the claims as signed, before flask-jwt-extended fills in defaults;
        # it runs on every decode (HTTP, refresh, sockets), and the signature is still checked afterwards
        require_claims(unverified_claims)
        return config.decode_key

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload):
        return token_service.is_revoked(payload)

    @jwt.unauthorized_loader
    def _missing(_reason):
        return error_response(401, "TOKEN_MISSING")

    @jwt.invalid_token_loader
    def _invalid(_reason):
        return error_response(401, "TOKEN_INVALID")

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "TOKEN_EXPIRED")

    @jwt.revoked_token_loader
    def _revoked_response(_header, _payload):
        return error_response(401, "TOKEN_REVOKED")

    @jwt.needs_fresh_token_loader
    def _fresh(_header, _payload):
        return error_response(401, "FRESH_TOKEN_REQUIRED")

    @jwt.token_verification_failed_loader
    def _failed(_header, _payload):
        return error_response(401, "TOKEN_INVALID")

    @jwt.user_lookup_error_loader
    def _lookup(_header, _payload):
        return error_response(401, "TOKEN_INVALID")

    return jwt
