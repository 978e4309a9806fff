"""Impact stories: the milestone catalog and the unlock rules (pure, no I/O).

Money thresholds are integer cents; every other threshold is a plain count or score.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.errors import ValidationFailed
from app.core.money import THRESHOLD_RULE, threshold

# Condition types a story can be unlocked by.
TOTAL_DONATED = "total_donated"  # net cents donated across all ONLUS
DONATION_COUNT = "donation_count"  # completed donations (net of refunds)
ONLUS_DIVERSITY = "onlus_diversity"  # distinct ONLUS with a positive net total
IMPACT_SCORE = "impact_score"  # the social module's Impact Score
TOTAL_EARNED = "total_earned"  # lifetime credits earned by playing (cents)
SPECIAL_EVENT = "special_event"  # cents donated inside the story's event window
CONDITION_TYPES = (TOTAL_DONATED, DONATION_COUNT, ONLUS_DIVERSITY, IMPACT_SCORE, TOTAL_EARNED, SPECIAL_EVENT)
MONEY_CONDITIONS = (TOTAL_DONATED, TOTAL_EARNED, SPECIAL_EVENT)

# The progressive milestones, in euros.
MILESTONE_LEVELS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)

# (title, what the milestone unlocks besides its story; app.impact.models.features names the gated ones)
MILESTONE_TITLES = {
    10: ("First Impact", "basic impact tracking"),
    25: ("Growing Difference", "basic metrics access"),
    50: ("Community Builder", "trend data"),
    100: ("Changemaker", "detailed analytics"),
    250: ("Impact Champion", "ONLUS direct updates"),
    500: ("Philanthropist", "community leaderboard"),
    1000: ("Major Donor", "platform insights"),
    2500: ("Community Leader", "community dashboards"),
    5000: ("Impact Hero", "advanced reporting"),
    10000: ("Transformation Leader", "all features"),
}

LEVEL_NAMES = ("Newcomer",) + tuple(MILESTONE_TITLES[m][0] for m in MILESTONE_LEVELS)


def milestone_story_id(euros: int) -> str:
    return f"milestone_{euros}"


def milestone_of(story_id: str) -> int | None:
    """The euros of a milestone story's id (None for any other story)."""
    prefix, _, euros = story_id.partition("_")
    return int(euros) if prefix == "milestone" and euros.isdigit() and int(euros) in MILESTONE_LEVELS else None


def milestone_catalog() -> list[dict]:
    """The ten milestone stories as catalog documents (stable ids: installing again updates them)."""
    stories = []
    for priority, euros in enumerate(MILESTONE_LEVELS, start=1):
        title, feature = MILESTONE_TITLES[euros]
        stories.append(
            {
                "_id": milestone_story_id(euros),
                "onlus_id": None,
                "title": title,
                "teaser": f"Donate a total of €{euros:,} to unlock this story.",
                "content": (
                    f"You have donated €{euros:,} through GoodPlay. {title}: every euro you earned by "
                    f"playing is now doing real work with the organisations you chose. "
                    f"This milestone also unlocks {feature}."
                ),
                "story_type": "milestone",
                "unlock_condition_type": TOTAL_DONATED,
                "unlock_condition_value": euros * 100,
                "category": "milestone",
                "priority": min(10, priority),
                "media_urls": [],
                "tags": ["milestone", f"eur{euros}"],
                "featured_until": None,
                "event_starts_at": None,
                "event_ends_at": None,
                "is_active": True,
                "status": PUBLISHED,
                "origin": "milestone",
                "version": 1,
            }
        )
    return stories


def extra_catalog() -> list[dict]:
    """Stories unlocked by the other conditions (count, diversity, score, earnings)."""
    base = {
        "onlus_id": None,
        "media_urls": [],
        "featured_until": None,
        "event_starts_at": None,
        "event_ends_at": None,
        "is_active": True,
        "status": PUBLISHED,
        "origin": "default",
        "version": 1,
    }
    return [
        {
            **base,
            "_id": "progress_regular_giver",
            "title": "Regular Giver",
            "teaser": "Make 5 separate donations.",
            "content": "Five donations in, giving is becoming a habit: steady support lets ONLUS plan ahead.",
            "story_type": "progress",
            "unlock_condition_type": DONATION_COUNT,
            "unlock_condition_value": 5,
            "category": "engagement",
            "priority": 4,
            "tags": ["habit", "donations"],
        },
        {
            **base,
            "_id": "progress_explorer",
            "title": "Cause Explorer",
            "teaser": "Support 3 different ONLUS.",
            "content": "You spread your support across three organisations, reaching more people and causes.",
            "story_type": "progress",
            "unlock_condition_type": ONLUS_DIVERSITY,
            "unlock_condition_value": 3,
            "category": "engagement",
            "priority": 4,
            "tags": ["diversity", "onlus"],
        },
        {
            **base,
            "_id": "progress_player_for_good",
            "title": "Playing for Good",
            "teaser": "Earn €5 of credits by playing.",
            "content": "Your play time has earned five euros of credits, ready to become a donation.",
            "story_type": "progress",
            "unlock_condition_type": TOTAL_EARNED,
            "unlock_condition_value": 500,
            "category": "gaming",
            "priority": 3,
            "tags": ["gaming", "credits"],
        },
        {
            **base,
            "_id": "progress_impact_scorer",
            "title": "Rising Star",
            "teaser": "Reach an Impact Score of 500.",
            "content": "Your Impact Score passed 500: playing, giving and bringing friends all add up.",
            "story_type": "progress",
            "unlock_condition_type": IMPACT_SCORE,
            "unlock_condition_value": 500,
            "category": "engagement",
            "priority": 3,
            "tags": ["impact score", "social"],
        },
    ]


# A story's lifecycle: a draft is invisible and unlocks nothing; once published it is scheduled until its window
# opens, active inside it, ended after it (an ended story stays readable by those who unlocked it).
DRAFT, PUBLISHED = "draft", "published"
STORY_STATUSES = (DRAFT, PUBLISHED)
SCHEDULED, ACTIVE, ENDED = "scheduled", "active", "ended"
LIFECYCLE = (DRAFT, SCHEDULED, ACTIVE, ENDED)
STORY_TYPES = ("milestone", "progress", "featured", "special")
ADMIN_STORY_TYPES = ("progress", "featured", "special")
TEXT_FIELDS = ("title", "teaser", "content", "media_urls")  # what a version keeps


def lifecycle(story: dict, at: datetime) -> str:
    if story.get("status", PUBLISHED) == DRAFT:
        return DRAFT
    start, end = story.get("event_starts_at"), story.get("event_ends_at")
    if start is not None and at < start:
        return SCHEDULED
    if end is not None and at >= end:
        return ENDED
    return ACTIVE


def condition_amount(condition_type: str, value: float) -> int:
    """The stored threshold of a condition given on the wire: euros (2 decimals) for money conditions, else
    a whole count; 422 INVALID_CONDITION_VALUE otherwise."""
    is_money = condition_type in MONEY_CONDITIONS
    stored = threshold(value, money=is_money)
    if stored is None:
        raise ValidationFailed("INVALID_CONDITION_VALUE", errors={"unlock_condition_value": [THRESHOLD_RULE[is_money]]})
    return stored


def check_window(starts: datetime | None, ends: datetime | None, condition_type: str) -> None:
    if starts and ends and ends <= starts:
        raise ValidationFailed("INVALID_WINDOW", errors={"event_ends_at": ["Must be after event_starts_at."]})
    if condition_type == SPECIAL_EVENT and not (starts and ends):
        raise ValidationFailed(
            "INVALID_WINDOW", errors={"event_starts_at": ["A special_event story needs its window."]}
        )


def _month_day(text: str, year: int) -> datetime:
    month, day = (int(part) for part in text.split("-"))
    return datetime(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Campaign:
    """A campaign that comes back every year: one story per year, `{year}` filled in, inside the window from
    `starts` to `ends` ("MM-DD", both days included; an end before the start falls in the next year)."""

    key: str
    title: str
    teaser: str
    content: str
    starts: str
    ends: str
    condition_type: str
    condition_value: int
    priority: int
    category: str = "campaign"
    tags: tuple[str, ...] = ()
    status: str = PUBLISHED

    @classmethod
    def from_doc(cls, doc: dict) -> Campaign:
        return cls(
            key=doc["_id"],
            title=doc["title"],
            teaser=doc.get("teaser", ""),
            content=doc.get("content", ""),
            starts=doc["starts"],
            ends=doc["ends"],
            condition_type=doc["unlock_condition_type"],
            condition_value=int(doc["unlock_condition_value"]),
            priority=int(doc.get("priority", 5)),
            category=doc.get("category", "campaign"),
            tags=tuple(doc.get("tags") or ()),
            status=doc.get("status", PUBLISHED),
        )

    def as_doc(self) -> dict:
        return {
            "_id": self.key,
            "title": self.title,
            "teaser": self.teaser,
            "content": self.content,
            "starts": self.starts,
            "ends": self.ends,
            "unlock_condition_type": self.condition_type,
            "unlock_condition_value": self.condition_value,
            "priority": self.priority,
            "category": self.category,
            "tags": list(self.tags),
            "status": self.status,
        }

    def window(self, year: int) -> tuple[datetime, datetime]:
        """[start, end) of the year's instance."""
        start = _month_day(self.starts, year)
        last = _month_day(self.ends, year)
        if last < start:
            last = _month_day(self.ends, year + 1)
        return start, last + timedelta(days=1)

    def instance_id(self, year: int) -> str:
        return f"special_{self.key}_{year}"

    def story(self, year: int) -> dict:
        starts, ends = self.window(year)
        return {
            "_id": self.instance_id(year),
            "title": self.title.format(year=year),
            "teaser": self.teaser.format(year=year),
            "content": self.content.format(year=year),
            "story_type": "special",
            "unlock_condition_type": self.condition_type,
            "unlock_condition_value": self.condition_value,
            "category": self.category,
            "priority": self.priority,
            "tags": list(self.tags),
            "onlus_id": None,
            "media_urls": [],
            "featured_until": None,
            "event_starts_at": starts,
            "event_ends_at": ends,
            "is_active": True,
            "status": PUBLISHED,
            "origin": "campaign",
            "campaign_id": self.key,
            "year": year,
            "version": 1,
        }


DEFAULT_CAMPAIGNS = (
    Campaign(
        key="giving_season",
        title="Giving Season {year}",
        teaser="Donate €5 between 1 and 31 December {year}.",
        content="You joined the {year} Giving Season campaign: together the community funded winter programmes.",
        starts="12-01",
        ends="12-31",
        condition_type=SPECIAL_EVENT,
        condition_value=500,
        priority=6,
        tags=("campaign", "holidays"),
    ),
)


def campaign_years(at: datetime) -> tuple[int, int]:
    """The years whose instances exist at `at`: this one and the next, so a server running across New Year
    has them."""
    return at.year, at.year + 1


def seasonal_catalog(year: int) -> list[dict]:
    return [campaign.story(year) for campaign in DEFAULT_CAMPAIGNS]


def catalog(at: datetime) -> list[dict]:
    """Every default story at `at`: the milestones, the other stories and the default campaigns' instances of
    this year and the next."""
    years = campaign_years(at)
    return milestone_catalog() + extra_catalog() + [s for y in years for s in seasonal_catalog(y)]


@dataclass(frozen=True)
class UserStanding:
    """What the unlock rules look at for one user."""

    total_donated_cents: int = 0
    donation_count: int = 0
    onlus_diversity: int = 0
    impact_score: int = 0
    total_earned_cents: int = 0

    def value_for(self, condition: str) -> int | None:
        return {
            TOTAL_DONATED: self.total_donated_cents,
            DONATION_COUNT: self.donation_count,
            ONLUS_DIVERSITY: self.onlus_diversity,
            IMPACT_SCORE: self.impact_score,
            TOTAL_EARNED: self.total_earned_cents,
        }.get(condition)


def event_window_open(story: dict, at: datetime) -> bool:
    start, end = story.get("event_starts_at"), story.get("event_ends_at")
    return (start is None or at >= start) and (end is None or at < end)


def current_value(story: dict, standing: UserStanding, event_totals: dict | None = None) -> int:
    """The user's value on the story's condition (event stories: cents donated inside the window)."""
    if story["unlock_condition_type"] == SPECIAL_EVENT:
        return int((event_totals or {}).get(story["_id"], 0))
    return int(standing.value_for(story["unlock_condition_type"]) or 0)


def unlock_order(story: dict) -> tuple:
    """The order in which the stories one action unlocks are announced: by kind of condition (money
    milestones first, as CONDITION_TYPES lists them), then by threshold, then by id."""
    kind = story["unlock_condition_type"]
    rank = CONDITION_TYPES.index(kind) if kind in CONDITION_TYPES else len(CONDITION_TYPES)
    return rank, int(story["unlock_condition_value"]), story["_id"]


def is_met(story: dict, standing: UserStanding, event_totals: dict | None = None) -> bool:
    if not story.get("is_active", True):
        return False
    return current_value(story, standing, event_totals) >= int(story["unlock_condition_value"])


def progress(story: dict, standing: UserStanding, event_totals: dict | None = None) -> dict:
    target = int(story["unlock_condition_value"])
    value = current_value(story, standing, event_totals)
    percent = 100.0 if target <= 0 else round(min(100.0, value * 100.0 / target), 1)
    return {
        "condition_type": story["unlock_condition_type"],
        "current": value,
        "target": target,
        "remaining": max(0, target - value),
        "percent": percent,
        "is_money": story["unlock_condition_type"] in MONEY_CONDITIONS,
    }


def level_for(total_donated_cents: int) -> int:
    """Impact level 0..10: how many milestones the net donated total has reached."""
    return sum(1 for euros in MILESTONE_LEVELS if total_donated_cents >= euros * 100)


def milestones_reached(total_donated_cents: int) -> list[int]:
    return [euros for euros in MILESTONE_LEVELS if total_donated_cents >= euros * 100]


def next_milestone(total_donated_cents: int) -> dict | None:
    for euros in MILESTONE_LEVELS:
        if total_donated_cents < euros * 100:
            return {
                "amount_cents": euros * 100,
                "title": MILESTONE_TITLES[euros][0],
                "story_id": milestone_story_id(euros),
                "remaining_cents": euros * 100 - total_donated_cents,
                "percent": round(total_donated_cents * 100.0 / (euros * 100), 1),
            }
    return None
