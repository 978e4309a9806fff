"""JWT issuing and revocation (flask-jwt-extended), with refresh-token families.

Every login starts a family; each refresh rotates the pair inside the family. A refresh
token presented twice means it leaked: the whole family is revoked.

Every authenticated request asks whether its token (or its family) was revoked. The answer "not
revoked" is kept in the shared cache for REVOCATION_CACHE_SECONDS; a revocation writes a tombstone
there (after the database) and "not revoked" is only ever added where no entry exists, so a check
racing a revocation cannot hide it. Should the tombstone's write fail, a cached "not revoked" lives
at most REVOCATION_CACHE_SECONDS more (logged as an error).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from app.core.clock import utcnow
from app.core.errors import Unauthorized
from app.core.repositories.tokens import TokenRepository


def _exp(claims: dict) -> datetime:
    return datetime.fromtimestamp(claims["exp"], tz=UTC).replace(tzinfo=None)


log = logging.getLogger(__name__)

REVOCATION_CACHE_SECONDS = 60
_OK, _REVOKED = "ok", "revoked"


class TokenService:
    def __init__(
        self, tokens: TokenRepository, *, refresh_lifetime, cache=None, cache_seconds: int = REVOCATION_CACHE_SECONDS
    ):
        self.tokens = tokens
        self.refresh_lifetime = refresh_lifetime
        self.cache = cache if cache_seconds > 0 else None
        self.cache_seconds = cache_seconds

    def issue_pair(self, user: dict, family: str | None = None) -> dict:
        family = family or uuid.uuid4().hex
        user_id = str(user["_id"])
        claims = {"role": user.get("role", "user"), "fam": family}
        access = create_access_token(identity=user_id, additional_claims=claims)
        refresh = create_refresh_token(identity=user_id, additional_claims=claims)
        decoded = decode_token(refresh)
        self.tokens.remember_refresh(jti=decoded["jti"], family=family, user_id=user_id, expires_at=_exp(decoded))
        return {"access_token": access, "refresh_token": refresh}

    def consume_refresh(self, claims: dict) -> None:
        """Accept a refresh token once; a second use revokes its family."""
        if not self.tokens.use_refresh(claims["jti"]):
            self._revoke_family(claims.get("fam", ""))
            raise Unauthorized("TOKEN_REUSED")

    def revoke(self, claims: dict, *, family: bool = False) -> None:
        self.tokens.revoke_token(claims["jti"], _exp(claims))
        self._tombstone(f"tok:jti:{claims['jti']}")
        if family and claims.get("fam"):
            self._revoke_family(claims["fam"])

    def _revoke_family(self, family: str) -> None:
        self.tokens.revoke_family(family, _family_expiry(self.refresh_lifetime))
        self._tombstone(f"tok:fam:{family}")

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
        for family in self.tokens.families_of(user_id):
            if family != keep_family:
                self._revoke_family(family)

    def is_revoked(self, claims: dict) -> bool:
        keys = [f"tok:jti:{claims['jti']}"] + ([f"tok:fam:{claims['fam']}"] if claims.get("fam") else [])
        cached = self._cached(keys)
        if _REVOKED in cached:
            return True
        if cached and all(v == _OK for v in cached):
            return False
        revoked = self.tokens.is_revoked(claims["jti"], claims.get("fam"))
        if not revoked and self.cache is not None:
            for key in keys:
                try:
                    self.cache.add(key, _OK, timeout=self.cache_seconds)  # never over a tombstone
                except Exception:  # the database answered; caching is only a saving
                    log.warning("tokens: could not cache a revocation check", exc_info=True)
        return revoked

    # -- the revocation cache ---------------------------------------------------------------
    def _cached(self, keys: list[str]) -> list:
        if self.cache is None:
            return []
        try:
            return list(self.cache.get_many(*keys))
        except Exception:  # a cache outage: ask the database
            log.warning("tokens: revocation cache unavailable", exc_info=True)
            return []

    def _tombstone(self, key: str) -> None:
        if self.cache is None:
            return
        try:
            # outlives any "not revoked" a racing check might still add; then the database answers
            self.cache.set(key, _REVOKED, timeout=2 * self.cache_seconds)
        except Exception:
            log.error(
                "tokens: could not cache the revocation of %s; a cached check may accept it for up to %s s",
                key,
                self.cache_seconds,
                exc_info=True,
            )


def _family_expiry(lifetime) -> datetime:
    return utcnow() + lifetime
