from app.core.api import Blueprint, Envelope, admin_required, audited, error_responses, ok, page_of, page_window
from app.core.schemas import EventListQuery, HookEventOut, ReplayIn
from app.core.services import services

blp = Blueprint(
    "admin_events",
    __name__,
    url_prefix="/api/admin/events",
    description="Hook-manager outbox: failed and parked handlers (admin)",
)


@blp.route("", methods=["GET"])
@admin_required
@blp.arguments(EventListQuery, location="query")
@blp.response(200, Envelope(HookEventOut, paginated=True))
def list_events(query):
    """Events by status; `?status=parked` lists what needs an admin."""
    rows, total = services().events.list_events(status=query.get("status"), **page_window(query))
    return ok("EVENTS_RETRIEVED", page_of(query, rows, total))


@blp.route("/<event_id>/replay", methods=["POST"])
@admin_required
@audited("event.replay")
@blp.arguments(ReplayIn, required=False)
@blp.response(200, Envelope(HookEventOut))
@error_responses(
    blp, {404: "EVENT_NOT_FOUND, HANDLER_NOT_FOUND", 409: "EVENT_NOT_REPLAYABLE: nothing failed or parked"}
)
def replay_event(body, event_id):
    """Run the event's parked (or failed) handlers once more, now."""
    return ok("EVENT_REPLAYED", services().events.replay(event_id, (body or {}).get("handler")))
