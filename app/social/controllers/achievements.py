from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
)
from app.social.schemas import (
    AchievementCreateIn,
    AchievementOut,
    AchievementPatchIn,
    AchievementProgressOut,
    AdminAchievementOut,
    BadgeOut,
)
from app.social.services import services

blp = Blueprint("achievements", __name__, url_prefix="/api/achievements", description="Achievements and badges")
admin_blp = Blueprint(
    "admin_achievements",
    __name__,
    url_prefix="/api/admin/achievements",
    description="The achievement catalog and its unlock conditions (admin); other processes see a change within a "
    "minute",
)


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


@admin_blp.route("", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(AdminAchievementOut, many=True))
def admin_list():
    """Every achievement: drafts, active and retired ones."""
    return ok("ACHIEVEMENTS_RETRIEVED", services().achievements.admin_list())


@admin_blp.route("", methods=["POST"])
@admin_required
@audited("achievement.create")
@admin_blp.arguments(AchievementCreateIn)
@admin_blp.response(201, Envelope(AdminAchievementOut))
@error_responses(admin_blp, {409: "ACHIEVEMENT_EXISTS", 422: "INVALID_TARGET, INVALID_WINDOW"})
def create(body):
    """An achievement unlocked when the user's `metric` reaches `target` (inside its window, when it has one);
    a draft unless `status` is active."""
    return ok("ACHIEVEMENT_CREATED", services().achievements.create(body))


@admin_blp.route("/<achievement_id>", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(AdminAchievementOut))
@error_responses(admin_blp, {404: "ACHIEVEMENT_NOT_FOUND"})
def admin_get(achievement_id):
    return ok("ACHIEVEMENT_RETRIEVED", services().achievements.admin_get(achievement_id))


@admin_blp.route("/<achievement_id>", methods=["PATCH"])
@admin_required
@audited("achievement.update")
@admin_blp.arguments(AchievementPatchIn)
@admin_blp.response(200, Envelope(AdminAchievementOut))
@error_responses(
    admin_blp,
    {
        404: "ACHIEVEMENT_NOT_FOUND",
        409: "ACHIEVEMENT_PUBLISHED: the condition (metric, target) is fixed once published",
        422: "INVALID_TARGET, INVALID_WINDOW",
    },
)
def update(body, achievement_id):
    """Its words, badge, points and window can always change (points count for the unlocks to come)."""
    return ok("ACHIEVEMENT_UPDATED", services().achievements.update(achievement_id, body))


@admin_blp.route("/<achievement_id>/publish", methods=["POST"])
@admin_required
@audited("achievement.publish")
@admin_blp.response(200, Envelope(AdminAchievementOut))
@error_responses(admin_blp, {404: "ACHIEVEMENT_NOT_FOUND", 409: "ACHIEVEMENT_NOT_DRAFT"})
def publish(achievement_id):
    return ok("ACHIEVEMENT_PUBLISHED", services().achievements.publish(achievement_id))


@admin_blp.route("/<achievement_id>/retire", methods=["POST"])
@admin_required
@audited("achievement.retire")
@admin_blp.response(200, Envelope(AdminAchievementOut))
@error_responses(admin_blp, {404: "ACHIEVEMENT_NOT_FOUND", 409: "ACHIEVEMENT_RETIRED"})
def retire(achievement_id):
    """It unlocks no more and leaves the catalog; the badges earned stay on their owners' profiles."""
    return ok("ACHIEVEMENT_RETIRED", services().achievements.retire(achievement_id))
