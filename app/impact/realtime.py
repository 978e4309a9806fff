"""Socket.IO namespace /impact: JWT checked on connect, one room per user."""
from __future__ import annotations

import logging

from flask_jwt_extended import decode_token
from flask_socketio import Namespace, join_room

from app.impact.handlers import NAMESPACE, user_room

log = logging.getLogger(__name__)


class ImpactNamespace(Namespace):
    def __init__(self, container, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self.container = container

    def on_connect(self, auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("TOKEN_MISSING")
        user_id = self._authenticate(token)
        if user_id is None:
            raise ConnectionRefusedError("TOKEN_INVALID")
        join_room(user_room(user_id))
        return True

    def _authenticate(self, token: str) -> str | None:
        """The user id of a valid, unrevoked access token of an active user; None otherwise."""
        try:
            claims = decode_token(token)
        except Exception:  # noqa: BLE001 - expired, malformed, bad signature: all refused alike
            return None
        if claims.get("type") != "access" or not claims.get("sub"):
            return None
        try:
            if self.container.service("auth").tokens.is_revoked(claims):
                return None
            if not self.container.service("users").exists(claims["sub"]):
                return None
        except Exception:  # noqa: BLE001 - cannot verify means refuse
            log.warning("impact socket: token check failed", exc_info=True)
            return None
        return claims["sub"]

    def on_disconnect(self, reason=None):
        return None
