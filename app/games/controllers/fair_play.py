"""Fair play on game sessions (moderators and admins): the review queue of flagged sessions, and decisions."""

from flask import g

from app.core.api import (
    Blueprint,
    Envelope,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
    staff_required,
)
from app.games.schemas import GameSessionDecisionIn, GameSessionReviewQuery, GameStaffSessionOut
from app.games.services import services

blp = Blueprint(
    "session_review",
    __name__,
    url_prefix="/api/moderation/sessions",
    description="Fair play on game sessions (moderators and admins); every decision is in the audit log",
)


def _view(doc):
    return services().sessions.view(doc)


@blp.route("", methods=["GET"])
@staff_required
@blp.arguments(GameSessionReviewQuery, location="query")
@blp.response(200, Envelope(GameStaffSessionOut, paginated=True))
def review_queue(query):
    """Sessions a fraud rule flagged (implausible play, too many sessions, velocity, credit farming), their
    credits held until a decision; the oldest flag first."""
    rows, total = services().fair_play.queue(status=query.get("status"), **page_window(query))
    return ok("SESSIONS_RETRIEVED", page_of(query, [_view(r) for r in rows], total))


@blp.route("/<oid:session_id>/decision", methods=["POST"])
@staff_required
@audited("game_session.decide")
@blp.arguments(GameSessionDecisionIn)
@blp.response(200, Envelope(GameStaffSessionOut))
@error_responses(
    blp,
    {
        403: "OWN_CASE: nobody decides on their own session",
        404: "SESSION_NOT_FOUND",
        409: "SESSION_NOT_IN_REVIEW (approve: only a flagged session waiting for a decision), "
        "SESSION_NOT_COMPLETED (void: only a completed session), SESSION_ALREADY_VOIDED",
    },
)
def decide(body, session_id):
    """approve: a flagged session's held credits go to the player's balance. void (any completed session): its
    score no longer counts: its credits are taken back through the ledger by a linked entry (held ones are
    forfeited), its points, totals and leaderboard entries are taken back, and ranks follow. The player is told
    why."""
    doc = services().fair_play.decide(
        session_id, decision=body["decision"], reason=body["reason"], actor_id=current_user_id(), role=g.role
    )
    return ok("SESSION_DECIDED", _view(doc))
