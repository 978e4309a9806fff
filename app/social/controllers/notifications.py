from app.core.api import Blueprint, Envelope, current_user_id, error_responses, login_required, ok, page_of, page_window
from app.social.schemas import (
    NotificationDeletedOut,
    NotificationOut,
    NotificationsQuery,
    NotificationsReadOut,
    UnreadCountOut,
)
from app.social.services import services

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/notifications",
    description="The notification inbox: what happened to you (also pushed as `notification` on /impact)",
)


def inbox():
    return services().notifications


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(NotificationsQuery, location="query")
@blp.response(200, Envelope(NotificationOut, paginated=True))
def list_notifications(query):
    """My notifications, newest first (`unread=true`: only the unread ones)."""
    window = page_window(query)
    items, total = inbox().page(current_user_id(), unread_only=query["unread"], **window)
    return ok("NOTIFICATIONS_RETRIEVED", page_of(query, items, total))


@blp.route("/unread-count", methods=["GET"])
@login_required
@blp.response(200, Envelope(UnreadCountOut))
def unread_count():
    return ok("UNREAD_COUNT_RETRIEVED", {"count": inbox().unread_count(current_user_id())})


@blp.route("/<oid:notification_id>/read", methods=["POST"])
@login_required
@blp.response(200, Envelope(NotificationOut))
@error_responses(blp, {404: "NOTIFICATION_NOT_FOUND"})
def mark_read(notification_id):
    """Mark one of my notifications read (again: no change)."""
    return ok("NOTIFICATION_READ", inbox().mark_read(current_user_id(), notification_id))


@blp.route("/read-all", methods=["POST"])
@login_required
@blp.response(200, Envelope(NotificationsReadOut))
def mark_all_read():
    return ok("NOTIFICATIONS_READ", {"marked": inbox().mark_all_read(current_user_id())})


@blp.route("/<oid:notification_id>", methods=["DELETE"])
@login_required
@blp.response(200, Envelope(NotificationDeletedOut))
@error_responses(blp, {404: "NOTIFICATION_NOT_FOUND"})
def delete_notification(notification_id):
    inbox().delete(current_user_id(), notification_id)
    return ok("NOTIFICATION_DELETED", {"id": notification_id})
