from app.core.api import Blueprint, Envelope, admin_required, ok, page_of, page_window
from app.core.schemas import AuditEntryOut, AuditQuery
from app.core.services import services

blp = Blueprint(
    "admin_audit",
    __name__,
    url_prefix="/api/admin/audit",
    description="The audit log: every admin action and security-relevant account event (admin)",
)


@blp.route("", methods=["GET"])
@admin_required
@blp.arguments(AuditQuery, location="query")
@blp.response(200, Envelope(AuditEntryOut, paginated=True))
def list_audit_entries(query):
    """Entries newest first, filtered by actor, action, target id and time (`from`, `to`: ISO 8601, both
    inclusive). Each successful admin request has one; so have failed logins (`auth.login_failed`, with the
    address tried), password changes and resets and email changes. Entries are never changed or removed."""
    rows, total = services().audit.page(
        actor_id=query.get("actor_id"),
        action=query.get("action"),
        target_id=query.get("target_id"),
        since=query.get("since"),
        until=query.get("until"),
        **page_window(query),
    )
    return ok("AUDIT_ENTRIES_RETRIEVED", page_of(query, rows, total))
