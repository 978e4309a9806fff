"""JWT issuing and revocation (flask-jwt-extended), with refresh-token families.

Every login starts a family; each refresh rotates the pair inside the family. A refresh
token presented twice means it leaked: the whole family is revoked.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from app.core.clock import utcnow
from app.core.errors import Unauthorized
from app.core.repositories.tokens import TokenRepository


def _exp(claims: dict) -> datetime:
    return datetime.fromtimestamp(claims["exp"], tz=timezone.utc).replace(tzinfo=None)


class TokenService:
    def __init__(self, tokens: TokenRepository, *, refresh_lifetime):
        self.tokens = tokens
        self.refresh_lifetime = refresh_lifetime

    def issue_pair(self, user: dict, family: str | None = None) -> dict:
        family = family or uuid.uuid4().hex
        user_id = str(user["_id"])
        claims = {"role": user.get("role", "user"), "fam": family}
        access = create_access_token(identity=user_id, additional_claims=claims)
        refresh = create_refresh_token(identity=user_id, additional_claims=claims)
        decoded = decode_token(refresh)
        self.tokens.remember_refresh(jti=decoded["jti"], family=family, user_id=user_id,
                                     expires_at=_exp(decoded))
        return {"access_token": access, "refresh_token": refresh}

    def consume_refresh(self, claims: dict) -> None:
        """Accept a refresh token once; a second use revokes its family."""
        if not self.tokens.use_refresh(claims["jti"]):
            self.tokens.revoke_family(claims.get("fam", ""), _family_expiry(self.refresh_lifetime))
            raise Unauthorized("TOKEN_REUSED")

    def revoke(self, claims: dict, *, family: bool = False) -> None:
        self.tokens.revoke_token(claims["jti"], _exp(claims))
        if family and claims.get("fam"):
            self.tokens.revoke_family(claims["fam"], _family_expiry(self.refresh_lifetime))

    def revoke_encoded(self, encoded: str, *, user_id: str) -> None:
        """Revoke a refresh token sent in a logout body, when it is the caller's."""
        try:
            claims = decode_token(encoded, allow_expired=True)
        except Exception as exc:  # any decoding failure: not a token of ours
            raise Unauthorized("TOKEN_INVALID") from exc
        if claims.get("sub") != user_id or claims.get("type") != "refresh":
            raise Unauthorized("TOKEN_INVALID")
        self.tokens.use_refresh(claims["jti"])
        self.revoke(claims, family=True)

    def revoke_other_sessions(self, user_id: str, keep_family: str | None) -> None:
        expiry = _family_expiry(self.refresh_lifetime)
        for family in self.tokens.families_of(user_id):
            if family != keep_family:
                self.tokens.revoke_family(family, expiry)

    def is_revoked(self, claims: dict) -> bool:
        return self.tokens.is_revoked(claims["jti"], claims.get("fam"))


def _family_expiry(lifetime) -> datetime:
    return utcnow() + lifetime
