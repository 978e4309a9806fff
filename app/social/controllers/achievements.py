from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok
from app.social.schemas import AchievementOut, AchievementProgressOut, BadgeOut
from app.social.services import services

blp = Blueprint("achievements", __name__, url_prefix="/api/achievements", description="Achievements and badges")


@blp.route("", methods=["GET"])
@login_required
@blp.response(200, Envelope(AchievementOut, many=True))
def catalog():
    """Every achievement (hidden ones appear once you unlock them)."""
    return ok("ACHIEVEMENTS_RETRIEVED", services().achievements.catalog(current_user_id()))


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(200, Envelope(AchievementProgressOut, many=True))
def my_progress():
    return ok("ACHIEVEMENT_PROGRESS_RETRIEVED", services().achievements.progress(current_user_id()))


@blp.route("/me/badges", methods=["GET"])
@login_required
@blp.response(200, Envelope(BadgeOut, many=True))
def my_badges():
    return ok("BADGES_RETRIEVED", services().achievements.badges(current_user_id()))


@blp.route("/users/<oid:user_id>/badges", methods=["GET"])
@login_required
@blp.response(200, Envelope(BadgeOut, many=True))
@error_responses(blp, {404: "USER_NOT_FOUND"})
def user_badges(user_id):
    """Another user's unlocked badges, if their profile is visible to you (otherwise 404)."""
    return ok("BADGES_RETRIEVED", services().achievements.public_badges(current_user_id(), user_id))
