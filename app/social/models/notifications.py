"""The notification inbox: the kinds, which preference lets each be pushed and emailed, and what each says."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.jsonutil import iso
from app.core.money import cents_to_euros

FRIEND_REQUEST_RECEIVED = "friend_request_received"
FRIEND_REQUEST_ACCEPTED = "friend_request_accepted"
CHALLENGE_INVITED = "challenge_invited"
CHALLENGE_RESULT = "challenge_result"
TOURNAMENT_STARTED = "tournament_started"
TOURNAMENT_RESULT = "tournament_result"
DONATION_COMPLETED = "donation_completed"
DONATION_HELD = "donation_held"
DONATION_APPROVED = "donation_approved"
DONATION_REJECTED = "donation_rejected"
DONATION_REFUNDED = "donation_refunded"
AUTO_DONATION_FAILED = "auto_donation_failed"
STORY_UNLOCKED = "story_unlocked"
FEATURE_UNLOCKED = "feature_unlocked"
SEASON_REWARD = "season_reward"
REPORT_DECIDED = "report_decided"
MODERATION_NOTICE = "moderation_notice"
LEADERBOARD_ENTRY_REMOVED = "leaderboard_entry_removed"
SESSION_VOIDED = "session_voided"
SESSION_APPROVED = "session_approved"
ACHIEVEMENT_UNLOCKED = "achievement_unlocked"
COMMUNITY_MILESTONE = "community_milestone"

KINDS = (
    FRIEND_REQUEST_RECEIVED,
    FRIEND_REQUEST_ACCEPTED,
    CHALLENGE_INVITED,
    CHALLENGE_RESULT,
    TOURNAMENT_STARTED,
    TOURNAMENT_RESULT,
    DONATION_COMPLETED,
    DONATION_HELD,
    DONATION_APPROVED,
    DONATION_REJECTED,
    DONATION_REFUNDED,
    AUTO_DONATION_FAILED,
    STORY_UNLOCKED,
    FEATURE_UNLOCKED,
    ACHIEVEMENT_UNLOCKED,
    COMMUNITY_MILESTONE,
    SEASON_REWARD,
    REPORT_DECIDED,
    MODERATION_NOTICE,
    LEADERBOARD_ENTRY_REMOVED,
    SESSION_VOIDED,
    SESSION_APPROVED,
)

# The switch in the user's `notifications` preferences that must be on, besides `push` or `email`, for a
# kind to be pushed or emailed. Every kind lands in the inbox whatever the switches say.
TOPICS = {
    FRIEND_REQUEST_RECEIVED: "friends",
    FRIEND_REQUEST_ACCEPTED: "friends",
    DONATION_COMPLETED: "donations",
    DONATION_HELD: "donations",
    DONATION_APPROVED: "donations",
    DONATION_REJECTED: "donations",
    DONATION_REFUNDED: "donations",
    AUTO_DONATION_FAILED: "donations",
    ACHIEVEMENT_UNLOCKED: "achievements",
    STORY_UNLOCKED: "impact_stories",
    FEATURE_UNLOCKED: "impact_stories",
    SEASON_REWARD: "achievements",
}

# What the refusal of an auto-donation means to its donor (the error keys of DonationService.process).
REFUSALS = {
    "INSUFFICIENT_BALANCE": "your balance was too low",
    "ONLUS_NOT_FOUND": "the organisation no longer exists",
    "ONLUS_NOT_ACCEPTING_DONATIONS": "the organisation is not accepting donations right now",
    "DONATION_BELOW_MINIMUM": "the amount was below the minimum donation",
    "DONATION_ABOVE_MAXIMUM": "the amount was above the limit for one donation",
    "DAILY_DONATION_LIMIT_EXCEEDED": "you reached today's donation limit",
    "DONATIONS_DISABLED": "donations are paused for now",
}

MILESTONE_METRICS = {
    "total_donated_cents": "Together we have donated {mark}!",
    "donation_count": "Together we have made {mark} donations!",
    "donors_count": "{mark} people have now donated through GoodPlay!",
}


@dataclass(frozen=True)
class Draft:
    """A notification before it is stored: `data` holds the ids (and little else) a client links to."""

    kind: str
    title: str
    body: str
    data: dict = field(default_factory=dict)


def wants(preferences: dict, kind: str, channel: str) -> bool:
    """The user's `notifications` preferences let `kind` go out on `channel` ('push' or 'email')."""
    topic = TOPICS.get(kind)
    return bool(preferences.get(channel, True)) and (topic is None or bool(preferences.get(topic, True)))


def euros(cents: int) -> str:
    return f"€{cents_to_euros(cents):,.2f}"


def wire(doc: dict) -> dict:
    """A stored notification as the API answers it (the live push carries the same)."""
    return {
        "id": str(doc["_id"]),
        "kind": doc["kind"],
        "title": doc["title"],
        "body": doc["body"],
        "data": dict(doc.get("data") or {}),
        "read": bool(doc.get("read")),
        "created_at": iso(doc["created_at"]),
        "read_at": iso(doc["read_at"]) if doc.get("read_at") else None,
    }


MAIL_FOOTER = "You receive this because email notifications are on in your GoodPlay preferences."


def mail_parts(draft: Draft) -> dict:
    """The subject, text and html of the email that carries a notification."""
    return {
        "subject": draft.title,
        "text": f"{draft.body}\n\n{MAIL_FOOTER}\n",
        "html": f"<p>{_escape(draft.body)}</p><p><small>{_escape(MAIL_FOOTER)}</small></p>",
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# -- what each kind says ----------------------------------------------------------------------------
def friend_request_received(sender_name: str, *, sender_id: str, request_id: str | None) -> Draft:
    return Draft(
        FRIEND_REQUEST_RECEIVED,
        "New friend request",
        f"{sender_name} wants to be your friend.",
        {"user_id": sender_id, "request_id": request_id},
    )


def friend_request_accepted(friend_name: str, *, friend_id: str, request_id: str | None) -> Draft:
    return Draft(
        FRIEND_REQUEST_ACCEPTED,
        "Friend request accepted",
        f"{friend_name} accepted your friend request.",
        {"user_id": friend_id, "request_id": request_id},
    )


def challenge_invited(challenger_name: str, game_name: str, *, challenge_id: str, game_id: str, by: str) -> Draft:
    return Draft(
        CHALLENGE_INVITED,
        "You have been challenged",
        f"{challenger_name} challenged you to {game_name}. Accept before the invitation expires.",
        {"challenge_id": challenge_id, "game_id": game_id, "user_id": by},
    )


def challenge_result(outcome: str, game_name: str, *, challenge_id: str, game_id: str) -> Draft:
    body = {
        "won": f"You won your {game_name} challenge!",
        "lost": f"Your {game_name} challenge is over: better luck next time.",
        "draw": f"Your {game_name} challenge ended in a draw.",
    }[outcome]
    data = {"challenge_id": challenge_id, "game_id": game_id, "outcome": outcome}
    return Draft(CHALLENGE_RESULT, "Challenge result", body, data)


def tournament_started(name: str, *, tournament_id: str, game_id: str | None) -> Draft:
    return Draft(
        TOURNAMENT_STARTED,
        "Tournament started",
        f"{name} has started: play now to climb its leaderboard.",
        {"tournament_id": tournament_id, "game_id": game_id},
    )


def tournament_result(name: str, rank: int, reward_cents: int, *, tournament_id: str) -> Draft:
    body = f"{name} is over: you finished #{rank}."
    if reward_cents > 0:
        body += f" {euros(reward_cents)} of credits are in your wallet."
    return Draft(TOURNAMENT_RESULT, "Tournament result", body, {"tournament_id": tournament_id, "rank": rank})


def donation_completed(
    amount_cents: int, onlus_name: str, *, source: str, reviewed: bool, donation_id: str, onlus_id: str
) -> Draft:
    data = {"donation_id": donation_id, "onlus_id": onlus_id}
    if reviewed:
        return Draft(
            DONATION_APPROVED,
            "Donation approved",
            f"Your donation of {euros(amount_cents)} to {onlus_name} was approved. Thank you!",
            data,
        )
    what = "auto-donation" if source == "auto" else "donation"
    return Draft(
        DONATION_COMPLETED, "Thank you!", f"Your {what} of {euros(amount_cents)} to {onlus_name} is complete.", data
    )


def donation_held(amount_cents: int, onlus_name: str, *, donation_id: str, onlus_id: str) -> Draft:
    return Draft(
        DONATION_HELD,
        "Donation under review",
        f"Your donation of {euros(amount_cents)} to {onlus_name} is being reviewed; the amount is set aside "
        "until then.",
        {"donation_id": donation_id, "onlus_id": onlus_id},
    )


def donation_rejected(amount_cents: int, onlus_name: str, *, source: str, donation_id: str, onlus_id: str) -> Draft:
    back_to = "your card" if source == "card" else "your wallet"
    return Draft(
        DONATION_REJECTED,
        "Donation not approved",
        f"Your donation of {euros(amount_cents)} to {onlus_name} was not approved; the money is back on {back_to}.",
        {"donation_id": donation_id, "onlus_id": onlus_id},
    )


def donation_refunded(amount_cents: int, *, donation_id: str, onlus_id: str) -> Draft:
    return Draft(
        DONATION_REFUNDED,
        "Donation refunded",
        f"Your donation of {euros(amount_cents)} was refunded.",
        {"donation_id": donation_id, "onlus_id": onlus_id},
    )


def auto_donation_failed(amount_cents: int, onlus_name: str | None, reason: str, *, onlus_id: str) -> Draft:
    why = REFUSALS.get(reason, "it was refused")
    return Draft(
        AUTO_DONATION_FAILED,
        "Auto-donation not made",
        f"Your auto-donation of {euros(amount_cents)} to {onlus_name or 'your chosen organisation'} could not be "
        f"made: {why}.",
        {"onlus_id": onlus_id, "reason": reason},
    )


def story_unlocked(title: str, *, story_id: str) -> Draft:
    return Draft(STORY_UNLOCKED, "Story unlocked", f"You unlocked the story “{title}”.", {"story_id": story_id})


def feature_unlocked(name: str, milestone_euros: int, *, feature: str) -> Draft:
    return Draft(
        FEATURE_UNLOCKED,
        "Feature unlocked",
        f"Your €{milestone_euros:,} milestone unlocked {name}.",
        {"feature": feature, "required_milestone": milestone_euros},
    )


def season_reward(season_name: str, board: str, rank: int, badge: str | None, bonus_cents: int, *, season_id: str):
    prizes = [p for p in (f"the {badge} badge" if badge else None, euros(bonus_cents) if bonus_cents else None) if p]
    return Draft(
        SEASON_REWARD,
        "Season reward",
        f"{season_name} is over: you finished #{rank} on the {board.replace('_', ' ')} board and won "
        f"{' and '.join(prizes)}.",
        {"season_id": season_id, "rank": rank},
    )


_CONTENT = {
    "user": "an account",
    "team": "a team",
    "community_challenge": "a community challenge",
    "challenge_message": "a challenge message",
    "onlus_update": "an ONLUS update",
}
_OUTCOMES = {
    "dismiss": "a moderator found nothing against the rules",
    "hide": "a moderator hid it",
    "warn": "a moderator warned its author",
    "escalate": "a moderator passed it to the admins",
}


def report_decided(target_type: str, decision: str, *, report_id: str) -> Draft:
    return Draft(
        REPORT_DECIDED,
        "Your report was reviewed",
        f"Thank you for reporting {_CONTENT.get(target_type, 'content')}: {_OUTCOMES.get(decision, decision)}.",
        {"report_id": report_id, "decision": decision},
    )


def moderation_notice(target_type: str, decision: str, note: str, *, target_id: str) -> Draft:
    what = _CONTENT.get(target_type, "content").split(" ", 1)[1]
    action = "was hidden" if decision == "hide" else "was reported and breaks the community rules"
    why = f" ({note.strip()})" if note.strip() else ""
    return Draft(
        MODERATION_NOTICE,
        "A moderator reviewed your content",
        f"Your {what} {action}{why}.",
        {"target_id": target_id, "decision": decision},
    )


def leaderboard_entry_removed(board: str, period_key: str, reason: str) -> Draft:
    why = f": {reason.strip()}" if reason.strip() else ""
    return Draft(
        LEADERBOARD_ENTRY_REMOVED,
        "Leaderboard entry removed",
        f"A moderator removed your entry on the {board.replace('_', ' ')} leaderboard for {period_key}{why}.",
        {"board": board, "period_key": period_key},
    )


def session_voided(game_name: str, reason: str, *, session_id: str, game_id: str) -> Draft:
    return Draft(
        SESSION_VOIDED,
        "Game session voided",
        f"A moderator voided your {game_name} session: {reason.strip()}. Its score, points and credits were "
        "taken back.",
        {"session_id": session_id, "game_id": game_id},
    )


def session_approved(game_name: str, *, session_id: str, game_id: str) -> Draft:
    return Draft(
        SESSION_APPROVED,
        "Game session approved",
        f"Your {game_name} session was reviewed and approved: its held credits are in your wallet.",
        {"session_id": session_id, "game_id": game_id},
    )


def achievement_unlocked(name: str, points: int, *, achievement_id: str) -> Draft:
    return Draft(
        ACHIEVEMENT_UNLOCKED,
        "Achievement unlocked",
        f"{name}: +{points} Impact points.",
        {"achievement_id": achievement_id},
    )


def community_milestone(metric: str, mark: int) -> Draft:
    money = metric == "total_donated_cents"
    template = MILESTONE_METRICS.get(metric, "The community reached {mark}!")
    shown = f"€{mark // 100:,}" if money else f"{mark:,}"
    return Draft(
        COMMUNITY_MILESTONE,
        "Community milestone",
        template.format(mark=shown),
        {"metric": metric.removesuffix("_cents"), "mark": cents_to_euros(mark) if money else mark},
    )


def outcome_of(user_id: str, winner_ids: list[str]) -> str:
    if not winner_ids:
        return "draw"
    return "won" if user_id in winner_ids else "lost"
