"""The audit log at the HTTP edge: every successful mutating request to an admin route writes one entry.

Recorded once the view has answered 2xx, so no admin route can forget it and no service needs to know
HTTP: the action is the view's @audited name (its endpoint's name when it declares none, which
tests/api/test_audit_log.py refuses), the actor is the token's user and role, the target is the action's
kind with the first id of the path (or the id, or key, of what the request created), before/after are what the
controller noted with app.core.api.audit_change() (after defaults to the answer's data), and the ip and
request id are the request's. A failed admin request (4xx, 5xx) has changed nothing and writes no entry;
the access log keeps it under its request id.
"""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

from app.core.api import MUTATING
from app.core.contracts import AuditTrail
from app.core.extensions import _view_flag
from app.core.models.audit import target_of

_PATH_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def is_audited_admin_route(view, method: str) -> bool:
    """A change through an admin route, or a moderator's (staff) route."""
    return method in MUTATING and bool(_view_flag(view, "_admin_only") or _view_flag(view, "_staff_only"))


def action_of(view, endpoint: str) -> str:
    return _view_flag(view, "_audit_action") or endpoint.lower()


def init_audit_trail(app: Flask, audit: AuditTrail) -> None:
    @app.after_request
    def _record_admin_action(response: Response) -> Response:
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is not None and 200 <= response.status_code < 300 and is_audited_admin_route(view, request.method):
            _record(audit, action_of(view, request.endpoint), response)
        return response


def _record(audit: AuditTrail, action: str, response: Response) -> None:
    noted = g.get("audit_change") or {}
    data = _answer_data(response)
    created = _created_id(data)
    audit.record(
        actor_id=g.get("user_id"),
        action=action,
        target=target_of(action, _path_ids(), created),
        before=noted.get("before"),
        after=noted["after"] if noted.get("after") is not None else data,
        ip=request.remote_addr,
        request_id=g.get("request_id"),
    )


def _created_id(data) -> str | None:
    """The id (or key, for a record named by one) of what the request created, from its answer."""
    if not isinstance(data, dict):
        return None
    return next((data[name] for name in ("id", "key") if isinstance(data.get(name), str)), None)


def _path_ids() -> dict[str, str]:
    """The path's parameters in the order the route names them."""
    args = request.view_args or {}
    names = _PATH_PARAMETER.findall(request.url_rule.rule) if request.url_rule is not None else list(args)
    return {name: str(args[name]) for name in names if name in args}


def _answer_data(response: Response):
    if not response.is_json or response.is_streamed:
        return None
    body = response.get_json(silent=True)
    return body.get("data") if isinstance(body, dict) else None
