"""Socket.IO namespace /impact: JWT checked on connect, one room per user; and the push the notifier
emits through."""

from __future__ import annotations

import logging

from flask_jwt_extended import decode_token
from flask_socketio import Namespace, SocketIO, join_room

from app.core.contracts import TokenChecker, UserDirectory

log = logging.getLogger(__name__)
NAMESPACE = "/impact"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


class RealtimePush:
    """Emits to the clients of namespace /impact (all of them, or one user's room); with REDIS_URL,
    through the message queue, so a client connected to another process receives it too."""

    def __init__(self, socketio: SocketIO):
        self.socketio = socketio

    def serve(self, namespace: Namespace) -> None:
        self.socketio.on_namespace(namespace)

    def emit(self, name: str, data: dict, *, user_id: str | None = None) -> None:
        self.socketio.emit(name, data, namespace=NAMESPACE, to=user_room(user_id) if user_id else None)


class ImpactNamespace(Namespace):
    def __init__(self, *, tokens: TokenChecker, users: UserDirectory, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self.tokens, self.users = tokens, users

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
            if self.tokens.is_revoked(claims):
                return None
            if not self.users.exists(claims["sub"]):
                return None
        except Exception:  # cannot verify means refuse
            log.warning("impact socket: token check failed", exc_info=True)
            return None
        return claims["sub"]

    def on_disconnect(self, reason=None):
        return None
