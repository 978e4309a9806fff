"""JWT issuing and revocation (flask-jwt-extended), with refresh-token families.

Every login starts a family; each refresh rotates the pair inside the family. A refresh token presented
again within REFRESH_REUSE_GRACE_SECONDS of its rotation (two tabs refreshing at once) gets the same
rotated pair again; presented later, it means it leaked: the whole family is revoked.

The same pair is given again without storing any token: a rotation records the claims of the pair it
issues (its two token ids, the time and the role: nothing a client could use without the signing key),
and the pair is signed again from them. HS256 over the same claims gives the same bytes.

Every authenticated request asks whether its token (or its family) was revoked. The answer "not
revoked" is kept in the shared cache for REVOCATION_CACHE_SECONDS; a revocation writes a tombstone
there (after the database) and "not revoked" is only ever added where no entry exists, so a check
racing a revocation cannot hide it. Should the tombstone's write fail, a cached "not revoked" lives
at most REVOCATION_CACHE_SECONDS more (logged as an error).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from app.core.clock import utcnow
from app.core.errors import Unauthorized
from app.core.repositories.tokens import TokenRepository


def _exp(claims: dict) -> datetime:
    return datetime.fromtimestamp(claims["exp"], tz=UTC).replace(tzinfo=None)


def _now_seconds() -> int:
    return int(datetime.now(UTC).timestamp())  # the clock flask-jwt-extended checks `exp` against


log = logging.getLogger(__name__)

REVOCATION_CACHE_SECONDS = 60
REUSE_GRACE_SECONDS = 10
_OK, _REVOKED = "ok", "revoked"


class TokenService:
    def __init__(
        self,
        tokens: TokenRepository,
        *,
        access_lifetime: timedelta,
        refresh_lifetime: timedelta,
        reuse_grace_seconds: int = REUSE_GRACE_SECONDS,
        cache=None,
        cache_seconds: int = REVOCATION_CACHE_SECONDS,
    ):
        self.tokens = tokens
        self.access_seconds = int(access_lifetime.total_seconds())
        self.refresh_lifetime = refresh_lifetime
        self.reuse_grace_seconds = reuse_grace_seconds
        self.cache = cache if cache_seconds > 0 else None
        self.cache_seconds = cache_seconds

    # -- issuing ----------------------------------------------------------------------------
    def issue_pair(self, user: dict, family: str | None = None) -> dict:
        """A new pair {access_token, refresh_token, expires_in} (a new family unless one is given)."""
        grant = _grant(user.get("role", "user"))
        return self._issue(str(user["_id"]), family or uuid.uuid4().hex, grant)

    def rotate(self, claims: dict, *, role: str) -> dict:
        """The next pair of a refresh token's family; the same pair again when the token comes back
        within the grace; later, reuse revokes the family (TOKEN_REUSED)."""
        user_id, family = claims["sub"], claims.get("fam", "")
        grant = _grant(role)
        if self.tokens.claim_rotation(claims["jti"], grant):
            return self._issue(user_id, family, grant)
        earlier = self.tokens.rotation_of(claims["jti"])
        if earlier is not None and self._within_grace(earlier[0]):
            return self._issue(user_id, family, earlier[1], replay=True)
        self._revoke_family(family)
        raise Unauthorized("TOKEN_REUSED")

    def _within_grace(self, rotated_at: datetime) -> bool:
        return self.reuse_grace_seconds > 0 and (utcnow() - rotated_at).total_seconds() <= self.reuse_grace_seconds

    def _issue(self, user_id: str, family: str, grant: dict, *, replay: bool = False) -> dict:
        """Sign the pair a grant describes (the same grant always gives the same two tokens) and record
        its refresh token (again, for a replay: a no-op)."""
        at = grant["at"]
        common = {"role": grant["role"], "fam": family, "iat": at, "nbf": at}
        refresh_expires = at + int(self.refresh_lifetime.total_seconds())
        access = create_access_token(
            identity=user_id,
            additional_claims={**common, "jti": grant["access_jti"], "exp": at + self.access_seconds},
        )
        refresh = create_refresh_token(
            identity=user_id, additional_claims={**common, "jti": grant["refresh_jti"], "exp": refresh_expires}
        )
        self.tokens.remember_refresh(
            jti=grant["refresh_jti"],
            family=family,
            user_id=user_id,
            expires_at=_exp({"exp": refresh_expires}),
        )
        expires_in = max(0, at + self.access_seconds - _now_seconds()) if replay else self.access_seconds
        return {"access_token": access, "refresh_token": refresh, "expires_in": expires_in}

    # -- revoking ---------------------------------------------------------------------------
    def decode(self, encoded: str) -> dict:
        """The claims of one of our tokens, expired or not (TOKEN_INVALID when it is not ours)."""
        try:
            return decode_token(encoded, allow_expired=True)
        except Exception as exc:  # any decoding failure: not a token of ours
            raise Unauthorized("TOKEN_INVALID") from exc

    def revoke(self, claims: dict, *, family: bool = False) -> None:
        self.tokens.revoke_token(claims["jti"], _exp(claims))
        self._tombstone(f"tok:jti:{claims['jti']}")
        if family and claims.get("fam"):
            self._revoke_family(claims["fam"])

    def _revoke_family(self, family: str) -> None:
        self.tokens.revoke_family(family, _family_expiry(self.refresh_lifetime))
        self._tombstone(f"tok:fam:{family}")

    def revoke_other_sessions(self, user_id: str, keep_family: str | None) -> None:
        """Revoke every family of the user but `keep_family` (None: every session of the user)."""
        for family in self.tokens.families_of(user_id):
            if family != keep_family:
                self._revoke_family(family)

    # -- checking ---------------------------------------------------------------------------
    def is_revoked(self, claims: dict) -> bool:
        keys = _keys(claims)
        cached = self._cached(keys)
        if _REVOKED in cached:
            return True
        if cached and all(v == _OK for v in cached):
            return False
        revoked = self.tokens.is_revoked(claims["jti"], claims.get("fam"))
        if not revoked:
            self._remember_ok(keys)
        return revoked

    def revoked_among(self, claims: list[dict]) -> set[str]:
        """The ids (jti) of the tokens among `claims` that are revoked: one cache read for all of them,
        and one database query for those the cache knows nothing of."""
        keys = list(dict.fromkeys(key for c in claims for key in _keys(c)))
        known = dict(zip(keys, self._cached(keys), strict=False))
        revoked = {key for key, value in known.items() if value == _REVOKED}
        unknown = [key for key in keys if known.get(key) not in (_OK, _REVOKED)]
        if unknown:
            found = {f"tok:{key}" for key in self.tokens.revoked_keys([k.removeprefix("tok:") for k in unknown])}
            revoked |= found
            self._remember_ok([key for key in unknown if key not in found])
        return {c["jti"] for c in claims if any(key in revoked for key in _keys(c))}

    # -- the revocation cache ---------------------------------------------------------------
    def _cached(self, keys: list[str]) -> list:
        if self.cache is None or not keys:
            return []
        try:
            return list(self.cache.get_many(*keys))
        except Exception:  # a cache outage: ask the database
            log.warning("tokens: revocation cache unavailable", exc_info=True)
            return []

    def _remember_ok(self, keys: list[str]) -> None:
        if self.cache is None:
            return
        for key in keys:
            try:
                self.cache.add(key, _OK, timeout=self.cache_seconds)  # never over a tombstone
            except Exception:  # the database answered; caching is only a saving
                log.warning("tokens: could not cache a revocation check", exc_info=True)
                return

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


def _keys(claims: dict) -> list[str]:
    return [f"tok:jti:{claims['jti']}"] + ([f"tok:fam:{claims['fam']}"] if claims.get("fam") else [])


def _grant(role: str) -> dict:
    """The claims of a pair to issue: its two token ids, the time it is issued at and the role."""
    return {"at": _now_seconds(), "access_jti": str(uuid.uuid4()), "refresh_jti": str(uuid.uuid4()), "role": role}


def _family_expiry(lifetime) -> datetime:
    return utcnow() + lifetime
