"""Runtime configuration: the public view the frontend reads, and the operator's settings (admin)."""

from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audit_change,
    audited,
    current_user_id,
    error_responses,
    ok,
)
from app.core.schemas import AdminSettingsOut, PublicConfigOut, SettingsIn
from app.core.services import services

blp = Blueprint(
    "config",
    __name__,
    url_prefix="/api",
    description="Runtime configuration: flags, limits and the maintenance banner; the operator changes them "
    "without a deploy (admin)",
)


@blp.route("/config/public", methods=["GET"])
@blp.response(200, Envelope(PublicConfigOut))
def public_config():
    """No sign-in needed. `flags`, the donation `limits` (euros) and the `maintenance` banner; an operator's
    change shows here within a minute."""
    return ok("CONFIG_RETRIEVED", services().public_config.view())


def _admin_view() -> dict:
    described = services().settings.described()
    return {
        "values": {s["key"]: s["value"] for s in described},
        "defaults": {s["key"]: s["default"] for s in described},
        "settings": described,
    }


@blp.route("/admin/config", methods=["GET"])
@admin_required
@blp.response(200, Envelope(AdminSettingsOut))
def get_settings():
    """Every setting's value and default, and who changed it last."""
    return ok("SETTINGS_RETRIEVED", _admin_view())


@blp.route("/admin/config", methods=["PATCH"])
@admin_required
@audited("config.update")
@blp.arguments(SettingsIn)
@blp.response(200, Envelope(AdminSettingsOut))
@error_responses(blp, {422: "INVALID_LIMITS: min_donation <= max_donation <= max_daily_donation"})
def update_settings(body):
    """Change any of the settings at once (the others keep their values); the change is in the audit log,
    takes effect at once wherever the cache is shared (Redis), within a minute otherwise. 422 INVALID_LIMITS when the
    donation limits would contradict each other (nothing is changed)."""
    before, after = services().settings.update(body, actor_id=current_user_id())
    audit_change(before=before, after=after)
    return ok("SETTINGS_UPDATED", _admin_view())
