"""Socket.IO namespace /impact: an access token to connect, one room per user, and sockets that end when
their token does; and the push the notifier emits through.

A refused connection says why in its `connect_error` data: `{"message": "TOKEN_MISSING" | "TOKEN_INVALID"
| "TOKEN_EXPIRED" | "TOKEN_REVOKED"}` (`SERVICE_UNAVAILABLE` when the token could not be checked).

Each process keeps the claims of its own sockets' tokens and checks them all together every
`check_seconds`: a socket whose token expired, or was revoked (logout, family revocation, password
change: whatever core's TokenService revokes), receives `session_ended` `{"message": "TOKEN_EXPIRED" |
"TOKEN_REVOKED"}` and is disconnected by the server. The check reads the store HTTP requests read (the
shared cache's tombstones, then the database), so a logout answered by one process ends a socket held by
another with no message between them to lose. To outlive its token, a socket sends `authenticate`
`{"token": <fresh access token of the same user>}`; otherwise the client connects again with a fresh token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import jwt
from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_socketio import Namespace, SocketIO, join_room
from socketio.exceptions import ConnectionRefusedError as Refused

from app.core.contracts import TokenChecker, UserDirectory

log = logging.getLogger(__name__)
NAMESPACE = "/impact"
SESSION_ENDED = "session_ended"


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
    def __init__(
        self,
        *,
        tokens: TokenChecker,
        users: UserDirectory,
        check_seconds: float = 0.25,
        clock: Callable[[], float] = time.time,
        namespace: str = NAMESPACE,
    ):
        super().__init__(namespace)
        self.tokens, self.users = tokens, users
        self.check_seconds = check_seconds
        self.clock = clock  # the clock a token's `exp` is read against
        self._sessions: dict[str, dict] = {}  # sid -> the claims of its access token, for this process's sockets
        self._lock = threading.Lock()
        self._watching = False
        self._app = None
        self._check_failing = False

    # -- events -----------------------------------------------------------------------------
    def on_connect(self, auth=None):
        claims = self._verify(auth.get("token") if isinstance(auth, dict) else None)
        join_room(user_room(claims["sub"]))
        self._track(request.sid, claims)
        return True

    def on_authenticate(self, data=None):
        """A fresh access token of the same user for this socket; the ack is
        `{success, message, data: {expires_in}}`, and on failure the socket keeps its current token."""
        try:
            claims = self._verify(data.get("token") if isinstance(data, dict) else None)
        except Refused as refused:
            return {"success": False, "message": refused.error_args["message"]}
        with self._lock:
            current = self._sessions.get(request.sid)
            if current is None:  # ending right now
                return {"success": False, "message": "SESSION_ENDED"}
            if current["sub"] != claims["sub"]:
                return {"success": False, "message": "TOKEN_INVALID"}
            self._sessions[request.sid] = claims
        return {
            "success": True,
            "message": "AUTHENTICATED",
            "data": {"expires_in": max(0, int(claims["exp"] - self.clock()))},
        }

    def on_disconnect(self, reason=None):
        with self._lock:
            self._sessions.pop(request.sid, None)

    # -- tokens -----------------------------------------------------------------------------
    def _verify(self, token) -> dict:
        """The claims of a valid, unrevoked access token of an active user; refused with the reason
        otherwise."""
        if not isinstance(token, str) or not token:
            raise Refused("TOKEN_MISSING")
        try:
            claims = decode_token(token)
        except jwt.ExpiredSignatureError as exc:  # raised only once the signature checked out
            raise Refused("TOKEN_EXPIRED") from exc
        except Exception as exc:  # malformed, bad signature, not ours
            raise Refused("TOKEN_INVALID") from exc
        if claims.get("type") != "access" or not claims.get("sub") or not claims.get("jti"):
            raise Refused("TOKEN_INVALID")
        try:
            revoked = self.tokens.is_revoked(claims)
            active = not revoked and self.users.exists(claims["sub"])
        except Exception as exc:  # cannot verify means refuse
            log.warning("impact socket: token check failed", exc_info=True)
            raise Refused("SERVICE_UNAVAILABLE") from exc
        if revoked:
            raise Refused("TOKEN_REVOKED")
        if not active:
            raise Refused("TOKEN_INVALID")
        return claims

    # -- the sessions' watch ----------------------------------------------------------------
    def _track(self, sid: str, claims: dict) -> None:
        with self._lock:
            self._sessions[sid] = claims
            if self._watching:
                return
            self._watching = True
            self._app = current_app._get_current_object()
        self.socketio.start_background_task(self._watch)

    def close(self) -> None:
        """Stop watching this app's sockets: the app is going away, its sockets with it (the watch ends
        at its next round)."""
        with self._lock:
            self._sessions.clear()

    def _watch(self) -> None:
        """Runs while this process holds sockets of the namespace (it starts again with the next one)."""
        while True:
            self.socketio.sleep(self.check_seconds)
            with self._lock:
                if not self._sessions:
                    self._watching = False
                    return
            try:
                with self._app.app_context():
                    self.check_sessions()
            except Exception:  # never let the watch die: the next round tries again
                log.exception("impact socket: session check failed")

    def check_sessions(self) -> None:
        """End this process's sockets whose token has expired or been revoked."""
        with self._lock:
            sessions = dict(self._sessions)
        if not sessions:
            return
        now = self.clock()
        ending = {sid: "TOKEN_EXPIRED" for sid, claims in sessions.items() if claims["exp"] <= now}
        live = [claims for sid, claims in sessions.items() if sid not in ending]
        try:
            revoked = self.tokens.revoked_among(live) if live else set()
        except Exception:  # neither cache nor database answers: keep the sockets until one does
            if not self._check_failing:
                log.warning("impact socket: cannot check the sockets' tokens", exc_info=True)
            self._check_failing = True
            revoked = set()
        else:
            self._check_failing = False
        for sid, claims in sessions.items():
            if sid not in ending and claims["jti"] in revoked:
                ending[sid] = "TOKEN_REVOKED"
        for sid, reason in ending.items():
            self._end(sid, reason)

    def _end(self, sid: str, reason: str) -> None:
        server, namespace = self.socketio.server, self.namespace
        if server.manager.is_connected(sid, namespace):
            log.info("impact socket: ending %s (%s)", sid, reason)
            server.emit(SESSION_ENDED, {"message": reason}, to=sid, namespace=namespace, ignore_queue=True)
            server.disconnect(sid, namespace=namespace, ignore_queue=True)  # runs on_disconnect
        elif not server.manager.is_pre_connected(sid, namespace):  # gone without a disconnect event
            with self._lock:
                self._sessions.pop(sid, None)
