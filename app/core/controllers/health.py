from flask import current_app

from app.core.api import Blueprint, Envelope, error_responses, ok
from app.core.errors import ServiceUnavailable
from app.core.schemas import HealthOut
from app.core.services import services

blp = Blueprint("health", __name__, url_prefix="/api", description="Liveness and readiness")


@blp.route("/health", methods=["GET"])
@blp.response(200, Envelope(HealthOut))
def health():
    """Liveness: the process answers."""
    return ok("HEALTHY", {"status": "healthy"})


@blp.route("/health/ready", methods=["GET"])
@blp.response(200, Envelope(HealthOut))
@error_responses(blp, {503: "DATABASE_UNAVAILABLE"})
def ready():
    """Readiness: the database answers a ping."""
    if not services().health.database_ok():
        raise ServiceUnavailable("DATABASE_UNAVAILABLE")
    return ok("READY", {"status": "ready", "database": "ok", "payments": current_app.config.get("PAYMENTS_PROVIDER")})
