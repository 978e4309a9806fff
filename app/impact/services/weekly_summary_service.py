"""The weekly summary email: every Monday, each user with a confirmed address, the `weekly_summary`
preference on and email notifications not switched off gets last week's play, credits, donations, stories and
Impact Score, once (mail key `weekly_summary:<user>:<YYYY-Www>`: a rerun of the job, or a second process,
queues nothing more). A week in which the user did nothing sends nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import MailQueue, UserDirectory, UserPreferences
from app.donations.contracts import DonationRecords
from app.games.contracts import PlayRecords
from app.impact.models import weekly_summary as rules
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.social.contracts import SocialGraph

log = logging.getLogger(__name__)

PAGE = 200


class WeeklySummaryService:
    def __init__(
        self,
        *,
        users: UserDirectory,
        preferences: UserPreferences,
        play: PlayRecords,
        donations: DonationRecords,
        social: SocialGraph,
        tracking: TrackingRepository,
        stories: StoryRepository,
        mail: MailQueue,
        frontend_url: str,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.users, self.preferences = users, preferences
        self.play, self.donations, self.social = play, donations, social
        self.tracking, self.stories = tracking, stories
        self.mail = mail
        self.link = f"{frontend_url.rstrip('/')}/impact"
        self.clock = clock

    def send_closed_week(self) -> dict:
        """Queue the summary of the week that closed last for everyone who wants it: {queued, skipped}."""
        week = rules.closed_week(self.clock())
        counts = {"queued": 0, "skipped": 0}
        after = None
        while True:
            page = self.users.mail_recipients_after(after, PAGE)
            prefs = self.preferences.many([u["id"] for u in page])
            for user in page:
                wanted = rules.wanted(prefs[user["id"]]["notifications"])  # defaults filled in
                try:
                    sent = wanted and self.send(user, week)
                except Exception:  # one user's failure must not stop everyone else's summary
                    log.exception("weekly summary of %s for %s failed", user["id"], week.label)
                    sent = False
                counts["queued" if sent else "skipped"] += 1
            if len(page) < PAGE:
                return counts
            after = page[-1]["id"]

    def figures(self, user_id: str, week: rules.Week) -> rules.WeekFigures:
        play = self.play.play_summary(user_id, week.first_day, week.end_day)
        timeline = self.tracking.timeline_by_kind(user_id, week.start, week.end)
        donations, donated = timeline.get("donation", (0, 0))
        _, refunded = timeline.get("refund", (0, 0))
        totals = self.tracking.user(user_id) or {}
        return rules.WeekFigures(
            sessions=play["sessions"],
            play_seconds=play["play_seconds"],
            earned_cents=self.donations.earned_between(user_id, week.start, week.end),
            donations=donations,
            donated_cents=donated + refunded,
            stories=[u["title"] for u in self.stories.unlocked_between(user_id, week.start, week.end)],
            impact_score=self.social.impact_score(user_id),
            total_donated_cents=int(totals.get("total_donated_cents", 0)),
        )

    def send(self, user: dict, week: rules.Week) -> bool:
        figures = self.figures(user["id"], week)
        if figures.empty:
            return False
        parts = rules.mail(week, figures, first_name=user["first_name"], link=self.link)
        key = f"weekly_summary:{user['id']}:{week.label}"
        return self.mail.enqueue(to=user["email"], key=key, user_id=user["id"], **parts)
