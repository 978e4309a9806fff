"""Marshmallow schemas of the impact module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.core.api import (
    Computed,
    Euros,
    Id,
    IdRef,
    Money,
    Number,
    OutSchema,
    QuerySchema,
    StrictSchema,
    Timestamp,
    UtcDateTime,
)
from app.core.money import cents_to_euros
from app.donations.contracts import DONATION_STATUSES, ONLUS_CATEGORIES, ONLUS_STATUSES
from app.impact.models import updates as urules
from app.impact.models.features import KEYS as FEATURE_KEYS
from app.impact.models.reports import DRAFT, MAX_RANGE_DAYS, PUBLISHED, REPORT_TYPES
from app.impact.models.stories import (
    ADMIN_STORY_TYPES,
    CONDITION_TYPES,
    LIFECYCLE,
    MONEY_CONDITIONS,
    STORY_STATUSES,
    STORY_TYPES,
)

_short = validate.Length(min=1, max=120)
TIMELINE_KINDS = ("donation", "refund", "milestone", "level_up", "story_unlocked")
LEADERBOARD_METRICS = ("total_donated", "donation_count", "onlus_diversity")
_AMOUNT = {"description": "A count, or euros when is_money"}


def _euros(key: str):
    """Euros from the integer cents under `key`; null when there are none."""
    return Euros(attribute=key, allow_none=True, dump_default=None)


def _euro_map(**kwargs):
    return fields.Dict(keys=fields.String(), values=Euros(), **kwargs)


# -- inputs -------------------------------------------------------------------------------------


class StoryListQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    status = fields.String(
        load_default="all",
        validate=validate.OneOf(["all", "unlocked", "locked"]),
        metadata={
            "description": "all (default): every active story, each with its status; unlocked: only the ones "
            "you unlocked; locked: only the ones still to unlock"
        },
    )
    q = fields.String(validate=validate.Length(min=1, max=80))
    category = fields.String(validate=validate.Length(min=1, max=40))


class TimelineQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    kind = fields.List(fields.String(validate=validate.OneOf(TIMELINE_KINDS)), validate=validate.Length(max=5))


class LeaderboardQuery(QuerySchema):
    metric = fields.String(load_default="total_donated", validate=validate.OneOf(LEADERBOARD_METRICS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MetricsQuery(QuerySchema):
    metric_name = fields.String(validate=validate.Length(min=1, max=60))


class TrendsQuery(MetricsQuery):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))


class MonthsQuery(QuerySchema):
    months = fields.Integer(load_default=12, validate=validate.Range(min=2, max=24))


class RangeReportQuery(QuerySchema):
    from_date = fields.Date(required=True, data_key="from", metadata={"description": "YYYY-MM-DD (inclusive)"})
    to_date = fields.Date(
        required=True,
        data_key="to",
        metadata={"description": f"YYYY-MM-DD (inclusive), not before `from`, at most {MAX_RANGE_DAYS} days after it"},
    )

    @validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and end < start:
            raise ValidationError({"to": ["Must not be before 'from'."]})
        if start and end and (end - start).days >= MAX_RANGE_DAYS:
            raise ValidationError({"to": [f"At most {MAX_RANGE_DAYS} days after 'from'."]})


class UpdatesQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    featured = fields.Boolean(load_default=False)


class ReportListQuery(QuerySchema):
    report_type = fields.String(validate=validate.OneOf(REPORT_TYPES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MetricIn(StrictSchema):
    onlus_id = IdRef(validate=validate.Length(min=1, max=64))
    metric_name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=60), validate.Regexp(r"^[a-z0-9_]+$", error="Use a-z, 0-9, _.")],
    )
    metric_type = fields.String(required=True, validate=validate.OneOf(urules.METRIC_TYPES))
    current_value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1e12))
    unit = fields.String(validate=validate.Length(min=1, max=30))
    related_donations = Money(attribute="related_donations_cents", data_key="related_donations", allow_zero=True)
    collection_period = fields.String(validate=validate.OneOf(urules.COLLECTION_PERIODS))
    collection_date = UtcDateTime()
    verification_status = fields.String(validate=validate.OneOf(urules.VERIFICATION_STATUSES))


class MetricVerificationIn(StrictSchema):
    verification_status = fields.String(required=True, validate=validate.OneOf(urules.VERIFICATION_STATUSES))
    note = fields.String(validate=validate.Length(max=500))


class UpdateIn(StrictSchema):
    onlus_id = IdRef(validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    update_type = fields.String(validate=validate.OneOf(urules.UPDATE_TYPES))
    priority = fields.String(validate=validate.OneOf(urules.PRIORITIES))
    status = fields.String(validate=validate.OneOf(urules.UPDATE_STATUSES))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20))
    media_urls = fields.List(fields.Url(validate=validate.Length(max=500)), validate=validate.Length(max=10))
    related_metrics = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=60)),
        values=fields.Float(allow_nan=False),
        validate=validate.Length(max=20),
    )
    featured_until = UtcDateTime()
    publish_at = UtcDateTime()


class ReportGenerateIn(StrictSchema):
    report_type = fields.String(load_default="monthly", validate=validate.OneOf(REPORT_TYPES))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    month = fields.Integer(validate=validate.Range(min=1, max=12))

    @validates_schema
    def _month(self, data, **_):
        if data.get("report_type", "monthly") == "monthly" and data.get("month") is None:
            raise ValidationError("Required for a monthly report.", field_name="month")
        if data.get("report_type") == "annual" and data.get("month") is not None:
            raise ValidationError("Not allowed for an annual report.", field_name="month")


# -- outputs ------------------------------------------------------------------------------------


class NextMilestoneOut(OutSchema):
    amount = _euros("amount_cents")
    title = fields.String()
    story_id = fields.String()
    remaining = _euros("remaining_cents")
    percent = fields.Float()


class UserImpactOut(OutSchema):
    user_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    is_public_view = fields.Boolean()
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    onlus_supported = fields.Integer()
    onlus_ids = fields.List(fields.String(), allow_none=True)
    categories = fields.List(fields.String())
    donations_by_category = Computed(
        _euro_map(allow_none=True, metadata={"description": "Euros per category"}),
        lambda d: d.get("category_cents") or None,
    )
    total_earned = _euros("total_earned_cents")
    level = fields.Integer()
    level_name = fields.String()
    milestones_reached = fields.List(fields.Integer(), metadata={"description": "euro milestones reached"})
    next_milestone = fields.Nested(NextMilestoneOut, allow_none=True)
    stories_unlocked = fields.Integer()
    first_donation_at = Timestamp(allow_none=True)
    last_donation_at = Timestamp(allow_none=True)


class TimelineEntryOut(OutSchema):
    id = Id()
    kind = fields.String(required=True, validate=validate.OneOf(TIMELINE_KINDS))
    occurred_at = Timestamp(required=True)
    donation_id = fields.String(allow_none=True)
    onlus_id = fields.String(allow_none=True)
    onlus_name = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    amount = _euros("amount_cents")
    total_after = _euros("total_after_cents")
    story_id = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)


def _progress_amount(key: str):
    return Computed(Number(metadata=_AMOUNT), lambda p: cents_to_euros(p[key]) if p.get("is_money") else p[key])


class StoryConditionProgressOut(OutSchema):
    condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    current = _progress_amount("current")
    target = _progress_amount("target")
    remaining = _progress_amount("remaining")
    percent = fields.Float()
    is_money = fields.Boolean()


class StoryOut(OutSchema):
    id = Id()
    title = fields.String(required=True)
    teaser = fields.String(allow_none=True)
    content = fields.String(allow_none=True, metadata={"description": "null while the story is locked"})
    is_unlocked = fields.Boolean(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["unlocked", "locked"]),
        metadata={"description": "unlocked (content shown) or locked (title, teaser and progress only)"},
    )
    unlocked_at = Timestamp(allow_none=True)
    story_type = fields.String(validate=validate.OneOf(STORY_TYPES))
    category = fields.String(allow_none=True)
    onlus_id = fields.String(allow_none=True)
    priority = fields.Integer()
    tags = fields.List(fields.String())
    media_urls = fields.List(fields.String())
    unlock_condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = Computed(
        Number(metadata={"description": "A count, or euros for total_donated, total_earned and special_event"}),
        lambda s: (
            cents_to_euros(s["unlock_condition_value"])
            if s["unlock_condition_type"] in MONEY_CONDITIONS
            else s["unlock_condition_value"]
        ),
    )
    event_starts_at = Timestamp(allow_none=True)
    event_ends_at = Timestamp(allow_none=True)
    progress = fields.Nested(StoryConditionProgressOut, allow_none=True)


class NextStoryOut(StoryConditionProgressOut):
    story_id = fields.String()
    title = fields.String()
    teaser = fields.String(allow_none=True)


class NextFeatureOut(OutSchema):
    feature = fields.String(validate=validate.OneOf(FEATURE_KEYS))
    name = fields.String()
    required_milestone = Number(metadata={"description": "euros donated in total that unlock it"})
    remaining = Number(metadata={"description": "euros still to donate"})


class StoryProgressOut(OutSchema):
    unlocked_count = fields.Integer(required=True)
    total_count = fields.Integer(required=True)
    level = fields.Integer()
    level_name = fields.String()
    total_donated = _euros("total_donated_cents")
    next_milestone = fields.Nested(NextMilestoneOut, allow_none=True)
    next_story = fields.Nested(NextStoryOut, allow_none=True)
    next_by_condition = fields.List(fields.Nested(NextStoryOut))
    features = fields.List(
        fields.String(validate=validate.OneOf(FEATURE_KEYS)),
        metadata={"description": "Features your milestones unlocked, in milestone order"},
    )
    next_feature = fields.Nested(NextFeatureOut, allow_none=True)


class ImpactCategoryAmountOut(OutSchema):
    category = fields.String()
    amount = _euros("amount_cents")


class ImpactPeriodFiguresOut(OutSchema):
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    donors_count = fields.Integer()


class CommunityMarkOut(OutSchema):
    metric = Computed(
        fields.String(validate=validate.OneOf(("total_donated", "donation_count", "donors_count"))),
        lambda m: m["metric"].removesuffix("_cents"),
    )
    mark = Computed(
        Number(metadata={"description": "A count, or euros for total_donated"}),
        lambda m: cents_to_euros(m["mark"]) if m["metric"].endswith("_cents") else m["mark"],
    )


class CommunityStatsOut(OutSchema):
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    donors_count = fields.Integer()
    average_donation = _euros("average_donation_cents")
    active_onlus_count = fields.Integer()
    users_count = fields.Integer()
    stories_unlocked = fields.Integer()
    donations_by_category = fields.List(fields.Nested(ImpactCategoryAmountOut))
    this_month = fields.Nested(ImpactPeriodFiguresOut, allow_none=True)
    milestones_reached = fields.List(fields.Nested(CommunityMarkOut))
    next_milestones = fields.List(fields.Nested(CommunityMarkOut))
    computed_at = Timestamp()


_LEADERBOARD_VALUE = {"description": "A count, or euros for total_donated"}


class ImpactLeaderboardEntryOut(OutSchema):
    rank = fields.Integer(required=True)
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    score = Number(required=True, metadata=_LEADERBOARD_VALUE)


class ImpactLeaderboardMeOut(OutSchema):
    rank = fields.Integer(allow_none=True, required=True, metadata={"description": "null until you donate"})
    score = Number(required=True, metadata=_LEADERBOARD_VALUE)


def _leaderboard_value(board: dict, value):
    return cents_to_euros(value) if board["is_money"] else value


class ImpactLeaderboardOut(OutSchema):
    metric = fields.String(required=True, validate=validate.OneOf(LEADERBOARD_METRICS))
    is_money = fields.Boolean()
    entries = Computed(
        fields.List(fields.Nested(ImpactLeaderboardEntryOut)),
        lambda d: [{**e, "score": _leaderboard_value(d, e["score"])} for e in d["entries"]],
        metadata={"description": "As GET /api/social/leaderboards/<type> (score in euros for total_donated)"},
    )
    me = Computed(
        fields.Nested(ImpactLeaderboardMeOut),
        lambda d: {"rank": d["me"]["rank"], "score": _leaderboard_value(d, d["me"]["score"])},
        metadata={"description": "Your place (rank null until you donate)"},
    )
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ImpactMetricOut(OutSchema):
    id = Id()
    onlus_id = fields.String()
    metric_name = fields.String()
    metric_type = fields.String(validate=validate.OneOf(urules.METRIC_TYPES))
    current_value = fields.Float()
    previous_value = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    change_percent = fields.Float(allow_none=True)
    unit = fields.String(allow_none=True)
    related_donations = _euros("related_donations_cents")
    efficiency_ratio = fields.Float(allow_none=True, metadata={"description": "impact per euro"})
    collection_period = fields.String(validate=validate.OneOf(urules.COLLECTION_PERIODS))
    collection_date = Timestamp()
    verification_status = fields.String(validate=validate.OneOf(urules.VERIFICATION_STATUSES))
    created_at = Timestamp()


class TrendPointOut(OutSchema):
    date = fields.String(metadata={"format": "date"})
    value = fields.Float(allow_none=True)
    efficiency_ratio = fields.Float(allow_none=True)


class TrendOut(OutSchema):
    metric_name = fields.String()
    unit = fields.String(allow_none=True)
    points = fields.List(fields.Nested(TrendPointOut))


class ImpactOnlusOut(OutSchema):
    id = fields.String()
    name = fields.String(allow_none=True)
    category = fields.String(allow_none=True, validate=validate.OneOf(ONLUS_CATEGORIES))
    is_verified = fields.Boolean(allow_none=True)
    verification_status = fields.String(allow_none=True, validate=validate.OneOf(ONLUS_STATUSES))


class OnlusTotalsOut(OutSchema):
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    donors_count = fields.Integer()


class OnlusTrendsOut(OutSchema):
    onlus = fields.Nested(ImpactOnlusOut)
    window_days = fields.Integer()
    trends = fields.List(fields.Nested(TrendOut))


class OnlusMetricsOut(OutSchema):
    onlus = fields.Nested(ImpactOnlusOut)
    totals = fields.Nested(OnlusTotalsOut)
    metrics = fields.List(fields.Nested(ImpactMetricOut))
    verification = fields.Dict(
        keys=fields.String(validate=validate.OneOf(urules.VERIFICATION_STATUSES)),
        values=fields.Integer(),
        metadata={"description": "Metrics per verification status"},
    )


class UpdateEngagementOut(OutSchema):
    views = fields.Integer()
    likes = fields.Integer()
    shares = fields.Integer()
    comments = fields.Integer()


class ImpactUpdateOut(OutSchema):
    id = Id()
    onlus_id = fields.String()
    onlus_name = fields.String(allow_none=True)
    title = fields.String()
    content = fields.String()
    update_type = fields.String(validate=validate.OneOf(urules.UPDATE_TYPES))
    priority = fields.String(validate=validate.OneOf(urules.PRIORITIES))
    status = fields.String(validate=validate.OneOf(urules.UPDATE_STATUSES))
    tags = fields.List(fields.String())
    media_urls = fields.List(fields.String())
    related_metrics = fields.Dict(keys=fields.String(), values=fields.Float())
    engagement_metrics = fields.Nested(UpdateEngagementOut)
    is_featured = fields.Boolean()
    liked_by_me = fields.Boolean()
    featured_until = Timestamp(allow_none=True)
    publish_at = Timestamp(allow_none=True)
    published_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class ImpactDonationOut(OutSchema):
    id = fields.String()
    onlus_id = fields.String()
    amount = _euros("amount_cents")
    status = fields.String(allow_none=True, validate=validate.OneOf(DONATION_STATUSES))
    created_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    receipt_number = fields.String(allow_none=True)


class UnlockBriefOut(OutSchema):
    story_id = fields.String()
    title = fields.String()
    unlocked_at = Timestamp()


class EstimatedImpactOut(OutSchema):
    metric_name = fields.String()
    unit = fields.String(allow_none=True)
    estimated_value = fields.Float()
    efficiency_ratio = fields.Float()


class DonationImpactOut(OutSchema):
    donation = fields.Nested(ImpactDonationOut)
    onlus = fields.Nested(ImpactOnlusOut, allow_none=True)
    onlus_total = _euros("onlus_total_cents")
    share_of_onlus_total_percent = fields.Float(allow_none=True)
    stories_unlocked = fields.List(fields.Nested(UnlockBriefOut))
    estimated_impact = fields.List(fields.Nested(EstimatedImpactOut))


class CommunityBriefOut(OutSchema):
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    donors_count = fields.Integer()
    active_onlus_count = fields.Integer()
    stories_unlocked = fields.Integer()


class ImpactDashboardOut(OutSchema):
    summary = fields.Nested(UserImpactOut)
    progress = fields.Nested(StoryProgressOut)
    recent_activity = fields.List(fields.Nested(TimelineEntryOut))
    community = fields.Nested(CommunityBriefOut)
    updates = fields.List(fields.Nested(ImpactUpdateOut))
    trending_updates = fields.List(fields.Nested(ImpactUpdateOut))


class TopOnlusOut(OutSchema):
    onlus_id = fields.String()
    name = fields.String(allow_none=True)
    amount = _euros("amount_cents")


class EngagementFiguresOut(OutSchema):
    stories_unlocked = fields.Integer()
    average_donation = _euros("average_donation_cents")


class DetailedMetricsOut(OutSchema):
    donations_by_category = Computed(
        _euro_map(metadata={"description": "Euros per category"}),
        lambda d: d.get("donations_by_category") or {},
    )
    top_onlus = fields.List(fields.Nested(TopOnlusOut))
    user_engagement = fields.Nested(EngagementFiguresOut)


class ReportGrowthOut(OutSchema):
    donations_growth = fields.Float(allow_none=True, metadata={"description": "percent vs previous period"})
    donation_count_growth = fields.Float(allow_none=True)
    users_growth = fields.Float(allow_none=True)
    engagement_growth = fields.Float(allow_none=True)


class PreviousPeriodOut(OutSchema):
    total_donations = _euros("total_donations_cents")
    donation_count = fields.Integer()
    total_donors = fields.Integer()
    stories_unlocked = fields.Integer()


class CommunityReportOut(OutSchema):
    id = Id()
    period_key = fields.String()
    report_type = fields.String(validate=validate.OneOf(REPORT_TYPES))
    year = fields.Integer()
    month = fields.Integer(allow_none=True)
    title = fields.String()
    summary = fields.String()
    period_start = Timestamp()
    period_end = Timestamp(metadata={"description": "exclusive"})
    total_donations = _euros("total_donations_cents")
    donation_count = fields.Integer()
    total_donors = fields.Integer()
    active_onlus_count = fields.Integer()
    detailed_metrics = fields.Nested(DetailedMetricsOut)
    growth_metrics = fields.Nested(ReportGrowthOut)
    previous_period = fields.Nested(PreviousPeriodOut)
    status = fields.String(validate=validate.OneOf((DRAFT, PUBLISHED)))
    generated_at = Timestamp()
    published_at = Timestamp(allow_none=True)


# -- gated features ------------------------------------------------------------------------------


class MonthAmountOut(OutSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    amount = _euros("amount_cents")
    donations = fields.Integer()


class OnlusShareOut(OutSchema):
    onlus_id = fields.String()
    name = fields.String(allow_none=True)
    amount = _euros("amount_cents")
    donations = fields.Integer()


class GivingAnalyticsOut(OutSchema):
    months = fields.Integer()
    since = Timestamp()
    total_donated = _euros("total_donated_cents")
    donation_count = fields.Integer()
    average_donation = _euros("average_donation_cents")
    by_month = fields.List(fields.Nested(MonthAmountOut))
    by_onlus = fields.List(fields.Nested(OnlusShareOut))
    by_category = fields.List(fields.Nested(ImpactCategoryAmountOut))


class PlatformMonthOut(MonthAmountOut):
    donors = fields.Integer()


class MonthOverMonthOut(OutSchema):
    amount = fields.Float(attribute="amount_cents", allow_none=True, metadata={"description": "percent"})
    donations = fields.Float(allow_none=True, metadata={"description": "percent"})
    donors = fields.Float(allow_none=True, metadata={"description": "percent"})


class PlatformInsightsOut(OutSchema):
    months = fields.Integer()
    since = Timestamp()
    by_month = fields.List(fields.Nested(PlatformMonthOut))
    month_over_month = fields.Nested(MonthOverMonthOut)


class CommunityDashboardOut(OutSchema):
    statistics = fields.Nested(CommunityStatsOut)
    insights = fields.Nested(PlatformInsightsOut)
    top_onlus = fields.List(fields.Nested(TopOnlusOut))


class RangeReportOut(OutSchema):
    period_start = Timestamp()
    period_end = Timestamp(metadata={"description": "exclusive"})
    total_donations = _euros("total_donations_cents")
    donation_count = fields.Integer()
    total_donors = fields.Integer()
    active_onlus_count = fields.Integer()
    stories_unlocked = fields.Integer()
    detailed_metrics = fields.Nested(DetailedMetricsOut)


# -- the operator's catalog ----------------------------------------------------------------------
_slug = validate.Regexp(r"^[a-z0-9_]{3,60}$", error="3-60 of a-z, 0-9, _.")
_condition_value = fields.Float(
    validate=validate.Range(min=0, min_inclusive=False, max=10_000_000),
    metadata={"description": "A whole count, or euros (2 decimals) for total_donated, total_earned, special_event"},
)
_month_day = validate.Regexp(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", error="MM-DD.")


class StoryPatchIn(StrictSchema):
    title = fields.String(validate=_short)
    teaser = fields.String(validate=validate.Length(max=300))
    content = fields.String(validate=validate.Length(min=1, max=5000))
    story_type = fields.String(validate=validate.OneOf(ADMIN_STORY_TYPES))
    category = fields.String(validate=validate.Length(min=1, max=40))
    priority = fields.Integer(validate=validate.Range(min=1, max=10))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), validate=validate.Length(max=10))
    media_urls = fields.List(fields.Url(validate=validate.Length(max=500)), validate=validate.Length(max=10))
    onlus_id = IdRef(allow_none=True)
    unlock_condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = _condition_value
    event_starts_at = UtcDateTime(allow_none=True)
    event_ends_at = UtcDateTime(
        allow_none=True, metadata={"description": "exclusive; after event_starts_at (422 INVALID_WINDOW)"}
    )
    featured_until = UtcDateTime(allow_none=True)


class StoryCreateIn(StoryPatchIn):
    id = fields.String(validate=_slug, metadata={"description": "default: generated"})
    title = fields.String(required=True, validate=_short)
    content = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    story_type = fields.String(load_default="special", validate=validate.OneOf(ADMIN_STORY_TYPES))
    unlock_condition_type = fields.String(required=True, validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = fields.Float(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=10_000_000),
        metadata=_condition_value.metadata,
    )
    status = fields.String(
        load_default=DRAFT, validate=validate.OneOf(STORY_STATUSES), metadata={"description": "draft (default)"}
    )


class StoryStateQuery(QuerySchema):
    state = fields.String(validate=validate.OneOf(LIFECYCLE))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def _condition_out():
    return Computed(
        Number(metadata={"description": "A count, or euros for total_donated, total_earned and special_event"}),
        lambda s: (
            cents_to_euros(s["unlock_condition_value"])
            if s["unlock_condition_type"] in MONEY_CONDITIONS
            else s["unlock_condition_value"]
        ),
    )


class StoryAdminOut(OutSchema):
    id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(LIFECYCLE))
    version = fields.Integer(required=True, metadata={"description": "Goes up with every change of the text"})
    title = fields.String(required=True)
    teaser = fields.String(allow_none=True)
    content = fields.String(allow_none=True)
    story_type = fields.String(validate=validate.OneOf(STORY_TYPES))
    category = fields.String(allow_none=True)
    priority = fields.Integer()
    tags = fields.List(fields.String())
    media_urls = fields.List(fields.String())
    onlus_id = fields.String(allow_none=True)
    unlock_condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = _condition_out()
    event_starts_at = Timestamp(allow_none=True)
    event_ends_at = Timestamp(allow_none=True)
    featured_until = Timestamp(allow_none=True)
    origin = fields.String(validate=validate.OneOf(("milestone", "default", "admin", "campaign")))
    campaign_id = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    created_at = Timestamp(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class CampaignPatchIn(StrictSchema):
    title = fields.String(validate=_short, metadata={"description": "`{year}` is replaced by each year"})
    teaser = fields.String(validate=validate.Length(max=300))
    content = fields.String(validate=validate.Length(min=1, max=5000))
    starts = fields.String(validate=_month_day, metadata={"description": "MM-DD, the first day"})
    ends = fields.String(
        validate=_month_day, metadata={"description": "MM-DD, the last day (before `starts`: the next year)"}
    )
    unlock_condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = _condition_value
    priority = fields.Integer(validate=validate.Range(min=1, max=10))
    category = fields.String(validate=validate.Length(min=1, max=40))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), validate=validate.Length(max=10))


class CampaignCreateIn(CampaignPatchIn):
    key = fields.String(required=True, validate=_slug)
    title = fields.String(required=True, validate=_short, metadata={"description": "`{year}` is replaced"})
    content = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    starts = fields.String(required=True, validate=_month_day, metadata={"description": "MM-DD, the first day"})
    ends = fields.String(required=True, validate=_month_day, metadata={"description": "MM-DD, the last day"})
    unlock_condition_type = fields.String(load_default="special_event", validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = fields.Float(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=10_000_000),
        metadata=_condition_value.metadata,
    )


class CampaignOut(OutSchema):
    key = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(STORY_STATUSES),
        metadata={"description": "published: a story every year; draft: none from now on"},
    )
    title = fields.String(required=True)
    teaser = fields.String()
    content = fields.String()
    starts = fields.String()
    ends = fields.String()
    unlock_condition_type = fields.String(validate=validate.OneOf(CONDITION_TYPES))
    unlock_condition_value = _condition_out()
    priority = fields.Integer()
    category = fields.String()
    tags = fields.List(fields.String())
