from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audit_change,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
)
from app.core.models.user import ACTIVE, SUSPENDED
from app.core.schemas import AdminUserOut, AdminUserQuery, RoleIn, SuspendUserIn
from app.core.services import services

blp = Blueprint(
    "admin_users",
    __name__,
    url_prefix="/api/admin/users",
    description="Accounts: look-up, suspension and reinstatement (admin)",
)


@blp.route("", methods=["GET"])
@admin_required
@blp.arguments(AdminUserQuery, location="query")
@blp.response(200, Envelope(AdminUserOut, paginated=True))
def list_users(query):
    """Accounts, newest first; `q` searches the email and the name."""
    rows, total = services().user_admin.page(
        text=query.get("q"), role=query.get("role"), status=query.get("status"), **page_window(query)
    )
    return ok("USERS_RETRIEVED", page_of(query, rows, total))


@blp.route("/<oid:user_id>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(AdminUserOut))
@error_responses(blp, {404: "USER_NOT_FOUND"})
def get_user(user_id):
    return ok("USER_RETRIEVED", services().user_admin.get(user_id))


@blp.route("/<oid:user_id>/suspend", methods=["POST"])
@admin_required
@audited("user.suspend")
@blp.arguments(SuspendUserIn)
@blp.response(200, Envelope(AdminUserOut))
@error_responses(blp, {403: "OWN_CASE: admins cannot suspend themselves", 404: "USER_NOT_FOUND"})
def suspend_user(body, user_id):
    """Make the account inactive: every session of it is revoked (its tokens answer 401 TOKEN_REVOKED, its
    sockets end) and its login answers 403 ACCOUNT_SUSPENDED. Asking again answers 200
    USER_ALREADY_SUSPENDED and keeps the first reason."""
    user, changed = services().user_admin.suspend(user_id, reason=body["reason"], actor_id=current_user_id())
    after = {"status": SUSPENDED, "reason": user["suspension"]["reason"]}
    audit_change(before={"status": ACTIVE} if changed else after, after=after)
    return ok("USER_SUSPENDED" if changed else "USER_ALREADY_SUSPENDED", user)


@blp.route("/<oid:user_id>/reinstate", methods=["POST"])
@admin_required
@audited("user.reinstate")
@blp.response(200, Envelope(AdminUserOut))
@error_responses(blp, {403: "OWN_CASE: admins cannot reinstate themselves", 404: "USER_NOT_FOUND"})
def reinstate_user(user_id):
    """Let a suspended account log in again (the sessions revoked by the suspension stay revoked). Asking
    for an active account answers 200 USER_ALREADY_ACTIVE."""
    user, changed = services().user_admin.reinstate(user_id, actor_id=current_user_id())
    audit_change(before={"status": SUSPENDED if changed else ACTIVE}, after={"status": ACTIVE})
    return ok("USER_REINSTATED" if changed else "USER_ALREADY_ACTIVE", user)


@blp.route("/<oid:user_id>/role", methods=["PUT"])
@admin_required
@audited("user.role")
@blp.arguments(RoleIn)
@blp.response(200, Envelope(AdminUserOut))
@error_responses(
    blp,
    {
        403: "OWN_CASE: admins cannot change their own role",
        404: "USER_NOT_FOUND",
        409: "ROLE_LOCKED: an admin's role is the operator's",
    },
)
def set_role(body, user_id):
    """Make the account a `moderator` (it works the moderation queue) or a plain `user` again. Its sessions end,
    so its next sign-in carries the new role."""
    user, before = services().user_admin.set_role(user_id, body["role"], actor_id=current_user_id())
    audit_change(before={"role": before}, after={"role": user["role"]})
    return ok("USER_ROLE_SET", user)
