from app.core.api import Blueprint, Envelope, current_user_id, login_required, ok
from app.core.schemas import PreferencesIn, PreferencesOut
from app.core.services import services

blp = Blueprint(
    "preferences",
    __name__,
    url_prefix="/api/preferences",
    description="Notification, privacy, gaming and donation preferences",
)


@blp.route("", methods=["GET"])
@login_required
@blp.response(200, Envelope(PreferencesOut))
def get_preferences():
    return ok("PREFERENCES_RETRIEVED", services().preferences.get(current_user_id()))


@blp.route("", methods=["PUT"])
@login_required
@blp.arguments(PreferencesIn)
@blp.response(200, Envelope(PreferencesOut))
def update_preferences(body):
    return ok("PREFERENCES_UPDATED", services().preferences.update(current_user_id(), body))
