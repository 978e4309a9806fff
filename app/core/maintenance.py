"""Maintenance mode at the HTTP edge: while the operator has it on, a change by anyone but an admin answers
503 MAINTENANCE (with the banner and Retry-After); reads, signing in and out, and payment webhooks (money the
provider has already moved) still get through."""

from __future__ import annotations

from flask import Flask, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from app.core.api import MUTATING
from app.core.errors import ServiceUnavailable

PASS_THROUGH = ("/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/payments/webhooks/", "/api/admin/")
RETRY_AFTER_SECONDS = 300


def blocks(method: str, path: str) -> bool:
    """Whether maintenance mode refuses this request to a non-admin."""
    return method in MUTATING and path.startswith("/api/") and not path.startswith(PASS_THROUGH)


def _is_admin() -> bool:
    try:
        verify_jwt_in_request(optional=True)
        return get_jwt().get("role") == "admin"
    except Exception:  # noqa: BLE001 - no usable token: not an admin; the view itself answers its 401
        return False


def init_maintenance(app: Flask, maintenance) -> None:
    """`maintenance()` answers {enabled, message} (RuntimeSettings.maintenance)."""

    @app.before_request
    def _refuse_changes_in_maintenance():
        if not blocks(request.method, request.path):
            return None
        state = maintenance()
        if state["enabled"] and not _is_admin():
            raise ServiceUnavailable(
                "MAINTENANCE",
                data={"message": state["message"]},
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return None
