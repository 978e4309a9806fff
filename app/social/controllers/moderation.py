"""Abuse reports (any user) and the moderation queue (moderators and admins)."""

from flask import g

from app.core.api import (
    Blueprint,
    Envelope,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
    rate_limited,
    staff_required,
)
from app.social.schemas import (
    EntryRemovalIn,
    EntryRemovedOut,
    ReportDecisionIn,
    ReportIn,
    ReportOut,
    ReportQueueQuery,
    SocialPageQuery,
    StaffReportOut,
)
from app.social.services import services

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Abuse reports")
staff_blp = Blueprint(
    "moderation",
    __name__,
    url_prefix="/api/moderation",
    description="The moderation queue (moderators and admins); every decision is in the audit log",
)


@blp.route("", methods=["POST"])
@login_required
@rate_limited("reports")
@blp.arguments(ReportIn)
@blp.response(201, Envelope(ReportOut))
@error_responses(
    blp,
    {
        404: "TARGET_NOT_FOUND",
        409: "REPORT_ALREADY_OPEN (one open report per reporter and target), CANNOT_REPORT_OWN",
    },
)
def file_report(body):
    """Report an account, a team, a community challenge, a direct challenge's message or an ONLUS update. You
    hear of the decision in your inbox."""
    report = services().moderation.report(current_user_id(), **body)
    return ok("REPORT_FILED", report)


@blp.route("/mine", methods=["GET"])
@login_required
@blp.arguments(SocialPageQuery, location="query")
@blp.response(200, Envelope(ReportOut, paginated=True))
def my_reports(query):
    """The reports you filed, the latest first, with their status."""
    rows, total = services().moderation.mine(current_user_id(), **page_window(query))
    return ok("REPORTS_RETRIEVED", page_of(query, rows, total))


@staff_blp.route("/reports", methods=["GET"])
@staff_required
@staff_blp.arguments(ReportQueueQuery, location="query")
@staff_blp.response(200, Envelope(StaffReportOut, paginated=True))
def queue(query):
    """The oldest first: open reports (moderators), open and escalated ones (admins)."""
    rows, total = services().moderation.queue(role=g.role, status=query.get("status"), **page_window(query))
    return ok("REPORTS_RETRIEVED", page_of(query, rows, total))


@staff_blp.route("/reports/<oid:report_id>/decision", methods=["POST"])
@staff_required
@audited("report.decide")
@staff_blp.arguments(ReportDecisionIn)
@staff_blp.response(200, Envelope(StaffReportOut))
@error_responses(
    staff_blp,
    {
        403: "ADMIN_REQUIRED: an escalated report is the admins'",
        404: "REPORT_NOT_FOUND",
        409: "REPORT_CLOSED, REPORT_ALREADY_ESCALATED, CANNOT_HIDE (an account: warn or escalate), NOBODY_TO_WARN",
    },
)
def decide(body, report_id):
    """dismiss; hide (the content leaves every listing, and every open report about it is decided with it);
    warn (its author); escalate (to the admins, who may suspend the account). The reporter and the author hear
    of it."""
    report = services().moderation.decide(
        report_id, decision=body["decision"], note=body["note"], actor_id=current_user_id(), role=g.role
    )
    return ok("REPORT_DECIDED", report)


@staff_blp.route("/leaderboards/<board_type>/removals", methods=["POST"])
@staff_required
@audited("leaderboard_entry.remove")
@staff_blp.arguments(EntryRemovalIn)
@staff_blp.response(200, Envelope(EntryRemovedOut))
@error_responses(staff_blp, {404: "LEADERBOARD_NOT_FOUND, ENTRY_NOT_FOUND"})
def remove_entry(body, board_type):
    """Fair play: take a player's entry off one board and period, with the reason they are told; the ranks
    below it move up at once."""
    removed = services().moderation.remove_leaderboard_entry(
        board_type,
        body["user_id"],
        period=body["period"],
        period_value=body.get("period_key"),
        game_id=body.get("game_id"),
        reason=body["reason"],
    )
    return ok("LEADERBOARD_ENTRY_REMOVED", removed)
