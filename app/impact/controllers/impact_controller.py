"""The impact module's HTTP endpoints under /api/impact."""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta

from flask import g

from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
)
from app.core.errors import ValidationFailed
from app.impact import schemas as s
from app.impact.models import features as f
from app.impact.services import services

blp = Blueprint(
    "impact",
    __name__,
    url_prefix="/api/impact",
    description="Impact tracking: stories, metrics, ONLUS updates, community statistics and reports",
)


def _is_admin() -> bool:
    return g.get("role") == "admin"


def unlocked_by(feature: str):
    """The route answers only users whose milestones unlocked `feature` (and admins); says so in its description."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            services().features.require(current_user_id(), feature, is_admin=_is_admin())
            return func(*args, **kwargs)

        wrapper.__doc__ = f"{(func.__doc__ or '').rstrip()}\n\n{f.gate_note(feature)}"
        return error_responses(blp, {403: "FEATURE_LOCKED"})(wrapper)

    return decorator


def _require_onlus(body: dict) -> None:
    if not body.get("onlus_id"):
        raise ValidationFailed("ONLUS_ID_REQUIRED", errors={"onlus_id": ["Missing data for required field."]})


# -- user impact ------------------------------------------------------------------------------


@blp.route("/user/<oid:user_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.UserImpactOut))
@error_responses(blp, {404: "USER_NOT_FOUND"})
def user_impact(user_id):
    """Impact summary: your own (or any, as admin); another user's public summary only when their
    privacy settings share donations, else 404."""
    data = services().tracking.user_summary(user_id, viewer_id=current_user_id(), viewer_is_admin=_is_admin())
    return ok("USER_IMPACT_SUMMARY_SUCCESS", data)


@blp.route("/user/<oid:user_id>/timeline", methods=["GET"])
@login_required
@blp.arguments(s.TimelineQuery, location="query")
@blp.response(200, Envelope(s.TimelineEntryOut, paginated=True))
@error_responses(blp, {404: "USER_NOT_FOUND"})
def user_timeline(query, user_id):
    """Donations, refunds, milestones, level-ups and story unlocks, newest first (own or admin)."""
    rows, total = services().tracking.timeline(
        user_id, viewer_id=current_user_id(), viewer_is_admin=_is_admin(), **page_window(query), kinds=query.get("kind")
    )
    return ok("USER_TIMELINE_SUCCESS", page_of(query, rows, total))


@blp.route("/donation/<oid:donation_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.DonationImpactOut))
@error_responses(blp, {404: "DONATION_NOT_FOUND"})
def donation_impact(donation_id):
    """What one of your donations did (404 for anybody else's)."""
    data = services().tracking.donation_impact(donation_id, viewer_id=current_user_id(), viewer_is_admin=_is_admin())
    return ok("DONATION_IMPACT_SUCCESS", data)


# -- stories ----------------------------------------------------------------------------------


@blp.route("/stories/available", methods=["GET"])
@login_required
@blp.arguments(s.StoryListQuery, location="query")
@blp.response(200, Envelope(s.StoryOut, paginated=True))
def stories_available(query):
    """Every story you can see, each with its `status`: `unlocked` (with its content) or `locked` (title,
    teaser and progress; content hidden). Filter with `status=unlocked` or `status=locked` (default `all`);
    `q` searches title, teaser, tags and (unlocked only) content; `category` narrows to one category."""
    rows, total = services().stories.list_for_user(
        current_user_id(),
        status=query["status"],
        text=query.get("q"),
        category=query.get("category"),
        **page_window(query),
    )
    return ok("STORIES_RETRIEVED_SUCCESS", page_of(query, rows, total))


@blp.route("/stories/progress", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.StoryProgressOut))
def stories_progress():
    """Unlocked count, level, and progress toward the next milestone and the next story of each kind."""
    return ok("STORY_PROGRESS_SUCCESS", services().stories.progress(current_user_id()))


@blp.route("/stories/<story_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.StoryOut))
@error_responses(blp, {404: "STORY_NOT_FOUND"})
def story_detail(story_id):
    """A story: full content when you unlocked it, else the locked view."""
    return ok("STORY_RETRIEVED_SUCCESS", services().stories.get_for_user(current_user_id(), story_id))


# -- community ---------------------------------------------------------------------------------


@blp.route("/community/statistics", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.CommunityStatsOut))
def community_statistics():
    """Platform totals, donations by category, this month, community milestones."""
    return ok("COMMUNITY_STATS_SUCCESS", services().community.statistics())


@blp.route("/community/leaderboard", methods=["GET"])
@login_required
@unlocked_by(f.COMMUNITY_LEADERBOARD)
@blp.arguments(s.LeaderboardQuery, location="query")
@blp.response(200, Envelope(s.ImpactLeaderboardOut))
def community_leaderboard(query):
    """Impact leaderboard; users who opted out of public leaderboards are never listed to others."""
    data = services().community.leaderboard(query["metric"], viewer_id=current_user_id(), **page_window(query))
    return ok("LEADERBOARD_SUCCESS", data)


@blp.route("/dashboard", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.ImpactDashboardOut))
def dashboard():
    """Everything the impact dashboard shows for the signed-in user."""
    return ok("DASHBOARD_DATA_SUCCESS", services().community.dashboard(current_user_id()))


@blp.route("/analytics", methods=["GET"])
@login_required
@unlocked_by(f.DETAILED_ANALYTICS)
@blp.arguments(s.MonthsQuery, location="query")
@blp.response(200, Envelope(s.GivingAnalyticsOut))
def giving_analytics(query):
    """Your giving over the last `months` months: per month (every month listed), per ONLUS and per category,
    net of refunds."""
    return ok("ANALYTICS_SUCCESS", services().tracking.analytics(current_user_id(), months=query["months"]))


@blp.route("/community/insights", methods=["GET"])
@login_required
@unlocked_by(f.PLATFORM_INSIGHTS)
@blp.arguments(s.MonthsQuery, location="query")
@blp.response(200, Envelope(s.PlatformInsightsOut))
def platform_insights(query):
    """The platform's giving month by month over the last `months` months (donated, donations, donors) and
    the change of the current month against the one before."""
    return ok("PLATFORM_INSIGHTS_SUCCESS", services().community.insights(query["months"]))


@blp.route("/community/dashboard", methods=["GET"])
@login_required
@unlocked_by(f.COMMUNITY_DASHBOARDS)
@blp.response(200, Envelope(s.CommunityDashboardOut))
def community_dashboard():
    """The community at a glance: its statistics, the last six months and the ten ONLUS most given to."""
    return ok("COMMUNITY_DASHBOARD_SUCCESS", services().community.community_dashboard())


# -- ONLUS ---------------------------------------------------------------------------------------


@blp.route("/onlus/<oid:onlus_id>/metrics", methods=["GET"])
@login_required
@unlocked_by(f.BASIC_METRICS)
@blp.arguments(s.MetricsQuery, location="query")
@blp.response(200, Envelope(s.OnlusMetricsOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def onlus_metrics(query, onlus_id):
    """Latest value of each metric with its change and efficiency (impact per euro), the ONLUS's totals,
    metrics per verification status."""
    data = services().visualization.onlus_metrics(onlus_id, metric_name=query.get("metric_name"))
    return ok("ONLUS_METRICS_SUCCESS", data)


@blp.route("/onlus/<oid:onlus_id>/metrics/trends", methods=["GET"])
@login_required
@unlocked_by(f.TREND_DATA)
@blp.arguments(s.TrendsQuery, location="query")
@blp.response(200, Envelope(s.OnlusTrendsOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def onlus_metric_trends(query, onlus_id):
    """Each metric's value and efficiency per day over the last `days` days (null on days without one)."""
    data = services().visualization.onlus_metrics(onlus_id, days=query["days"], metric_name=query.get("metric_name"))
    return ok("ONLUS_METRIC_TRENDS_SUCCESS", data)


@blp.route("/onlus/<oid:onlus_id>/updates", methods=["GET"])
@login_required
@unlocked_by(f.ONLUS_UPDATES)
@blp.arguments(s.UpdatesQuery, location="query")
@blp.response(200, Envelope(s.ImpactUpdateOut, paginated=True))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def onlus_updates(query, onlus_id):
    """Published updates: featured first, then by priority, newest first."""
    rows, total = services().visualization.onlus_updates(
        onlus_id, viewer_id=current_user_id(), **page_window(query), featured_only=query["featured"]
    )
    return ok("ONLUS_UPDATES_SUCCESS", page_of(query, rows, total))


@blp.route("/updates/<oid:update_id>", methods=["GET"])
@login_required
@unlocked_by(f.ONLUS_UPDATES)
@blp.response(200, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "UPDATE_NOT_FOUND"})
def update_detail(update_id):
    """A published update; reading it counts one view per user per day."""
    return ok("UPDATE_RETRIEVED_SUCCESS", services().visualization.view_update(update_id, viewer_id=current_user_id()))


@blp.route("/updates/<oid:update_id>/like", methods=["POST"])
@login_required
@unlocked_by(f.ONLUS_UPDATES)
@blp.response(200, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "UPDATE_NOT_FOUND"})
def like_update(update_id):
    """Like once (liking again changes nothing)."""
    return ok("UPDATE_LIKED_SUCCESS", services().visualization.like_update(update_id, viewer_id=current_user_id()))


@blp.route("/updates/<oid:update_id>/like", methods=["DELETE"])
@login_required
@unlocked_by(f.ONLUS_UPDATES)
@blp.response(200, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "UPDATE_NOT_FOUND"})
def unlike_update(update_id):
    return ok(
        "UPDATE_UNLIKED_SUCCESS",
        services().visualization.like_update(update_id, viewer_id=current_user_id(), like=False),
    )


@blp.route("/updates/<oid:update_id>/share", methods=["POST"])
@login_required
@unlocked_by(f.ONLUS_UPDATES)
@blp.response(200, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "UPDATE_NOT_FOUND"})
def share_update(update_id):
    """Counts one share per user."""
    return ok("UPDATE_SHARED_SUCCESS", services().visualization.share_update(update_id, viewer_id=current_user_id()))


# -- reports -------------------------------------------------------------------------------------


@blp.route("/reports", methods=["GET"])
@login_required
@blp.arguments(s.ReportListQuery, location="query")
@blp.response(200, Envelope(s.CommunityReportOut, paginated=True))
def list_reports(query):
    """Published community reports, newest period first (admins also see drafts)."""
    rows, total = services().community.list_reports(
        report_type=query.get("report_type"), viewer_is_admin=_is_admin(), **page_window(query)
    )
    return ok("REPORTS_RETRIEVED_SUCCESS", page_of(query, rows, total))


@blp.route("/reports/monthly/<int:year>/<int:month>", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.CommunityReportOut))
@error_responses(blp, {404: "REPORT_NOT_FOUND", 422: "INVALID_MONTH, PERIOD_NOT_STARTED"})
def monthly_report(year, month):
    """The month's community report (published; admins also see the draft). 422 INVALID_MONTH."""
    return ok(
        "MONTHLY_REPORT_SUCCESS", services().community.get_report("monthly", year, month, viewer_is_admin=_is_admin())
    )


@blp.route("/reports/annual/<int:year>", methods=["GET"])
@login_required
@blp.response(200, Envelope(s.CommunityReportOut))
@error_responses(blp, {404: "REPORT_NOT_FOUND", 422: "PERIOD_NOT_STARTED"})
def annual_report(year):
    return ok("ANNUAL_REPORT_SUCCESS", services().community.get_report("annual", year, viewer_is_admin=_is_admin()))


@blp.route("/reports/custom", methods=["GET"])
@login_required
@unlocked_by(f.ADVANCED_REPORTING)
@blp.arguments(s.RangeReportQuery, location="query")
@blp.response(200, Envelope(s.RangeReportOut))
def range_report(query):
    """The community report over any range of days (`from` and `to` inclusive, at most a year), computed now."""
    start = datetime.combine(query["from_date"], time())
    end = datetime.combine(query["to_date"] + timedelta(days=1), time())
    return ok("CUSTOM_REPORT_SUCCESS", services().community.range_report(start, end))


# -- admin ---------------------------------------------------------------------------------------


@blp.route("/admin/metrics", methods=["POST"])
@admin_required
@audited("impact_metric.create")
@blp.arguments(s.MetricIn)
@blp.response(201, Envelope(s.ImpactMetricOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def create_metric(body):
    """Record a metric value; efficiency = value per euro donated to the ONLUS (default: its platform total)."""
    _require_onlus(body)
    return ok("METRIC_CREATED_SUCCESS", services().visualization.create_metric(body, actor_id=current_user_id()))


@blp.route("/admin/metrics/<oid:metric_id>/verification", methods=["PUT"])
@admin_required
@audited("impact_metric.verify")
@blp.arguments(s.MetricVerificationIn)
@blp.response(200, Envelope(s.ImpactMetricOut))
@error_responses(blp, {404: "METRIC_NOT_FOUND"})
def verify_metric(body, metric_id):
    data = services().visualization.set_metric_verification(metric_id, body["verification_status"], body.get("note"))
    return ok("METRIC_VERIFICATION_UPDATED", data)


@blp.route("/admin/updates", methods=["POST"])
@admin_required
@audited("impact_update.create")
@blp.arguments(s.UpdateIn)
@blp.response(201, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def create_update(body):
    """Create an ONLUS update as a draft, scheduled (`publish_at`) or published right away."""
    _require_onlus(body)
    return ok("UPDATE_CREATED_SUCCESS", services().visualization.create_update(body, actor_id=current_user_id()))


@blp.route("/admin/updates/<oid:update_id>/publish", methods=["POST"])
@admin_required
@audited("impact_update.publish")
@blp.response(200, Envelope(s.ImpactUpdateOut))
@error_responses(blp, {404: "UPDATE_NOT_FOUND", 409: "UPDATE_ALREADY_PUBLISHED"})
def publish_update(update_id):
    """Publish a draft or scheduled update now (409 UPDATE_ALREADY_PUBLISHED)."""
    return ok("UPDATE_PUBLISHED_SUCCESS", services().visualization.publish_update(update_id))


@blp.route("/admin/reports/generate", methods=["POST"])
@admin_required
@audited("impact_report.generate")
@blp.arguments(s.ReportGenerateIn)
@blp.response(201, Envelope(s.CommunityReportOut))
@blp.alt_response(
    200, schema=Envelope(s.CommunityReportOut), description="The period's report is already published: kept"
)
@error_responses(blp, {422: "PERIOD_NOT_STARTED, INVALID_MONTH"})
def generate_report(body):
    """Compute the period's report from the donations ledger now, as a draft (regenerating replaces
    the draft; a published report is kept and returned with 200 REPORT_ALREADY_PUBLISHED)."""
    report, written = services().community.generate_report(
        body["report_type"], body["year"], body.get("month"), actor_id=current_user_id()
    )
    if not written:
        return ok("REPORT_ALREADY_PUBLISHED", report), 200
    return ok("REPORT_GENERATED_SUCCESS", report)


@blp.route("/admin/reports/<oid:report_id>/publish", methods=["POST"])
@admin_required
@audited("impact_report.publish")
@blp.response(200, Envelope(s.CommunityReportOut))
@error_responses(blp, {404: "REPORT_NOT_FOUND", 409: "REPORT_ALREADY_PUBLISHED"})
def publish_report(report_id):
    """Publish a draft report (409 REPORT_ALREADY_PUBLISHED)."""
    return ok("REPORT_PUBLISHED_SUCCESS", services().community.publish_report(report_id))


# -- the operator's story catalog ------------------------------------------------------------------


@blp.route("/admin/stories", methods=["GET"])
@admin_required
@blp.arguments(s.StoryStateQuery, location="query")
@blp.response(200, Envelope(s.StoryAdminOut, paginated=True))
def admin_stories(query):
    """Every story, drafts included, newest first; `state` filters by lifecycle (draft, scheduled, active,
    ended)."""
    rows, total = services().catalog.page(state=query.get("state"), **page_window(query))
    return ok("STORIES_RETRIEVED", page_of(query, rows, total))


@blp.route("/admin/stories", methods=["POST"])
@admin_required
@audited("story.create")
@blp.arguments(s.StoryCreateIn)
@blp.response(201, Envelope(s.StoryAdminOut))
@error_responses(
    blp,
    {
        409: "STORY_EXISTS",
        422: "INVALID_CONDITION_VALUE (a count must be whole, euros have 2 decimals), INVALID_WINDOW (the end "
        "after the start; a special_event story needs both)",
    },
)
def create_story(body):
    """A story with its unlock condition and optional window (a special_event story counts the euros given
    inside it); a draft unless `status` is published."""
    return ok("STORY_CREATED", services().catalog.create(body, actor_id=current_user_id()))


@blp.route("/admin/stories/<story_id>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(s.StoryAdminOut))
@error_responses(blp, {404: "STORY_NOT_FOUND"})
def admin_story(story_id):
    return ok("STORY_RETRIEVED", services().catalog.get(story_id))


@blp.route("/admin/stories/<story_id>", methods=["PATCH"])
@admin_required
@audited("story.update")
@blp.arguments(s.StoryPatchIn)
@blp.response(200, Envelope(s.StoryAdminOut))
@error_responses(
    blp,
    {
        404: "STORY_NOT_FOUND",
        409: "STORY_ALREADY_OPEN (its condition and window are fixed once it can be unlocked), MILESTONE_STORY, "
        "STORY_CHANGED (changed meanwhile: read it again)",
        422: "INVALID_CONDITION_VALUE, INVALID_WINDOW",
    },
)
def update_story(body, story_id):
    """Change a story. Its text can always change, as a new version: who unlocked an earlier version keeps
    reading the text they saw. Its condition and window change only while it is a draft or scheduled."""
    return ok("STORY_UPDATED", services().catalog.update(story_id, body))


@blp.route("/admin/stories/<story_id>/publish", methods=["POST"])
@admin_required
@audited("story.publish")
@blp.response(200, Envelope(s.StoryAdminOut))
@error_responses(blp, {404: "STORY_NOT_FOUND", 409: "STORY_ALREADY_PUBLISHED, MILESTONE_STORY"})
def publish_story(story_id):
    """Scheduled until its window opens, then active."""
    return ok("STORY_PUBLISHED", services().catalog.publish(story_id))


@blp.route("/admin/stories/<story_id>/end", methods=["POST"])
@admin_required
@audited("story.end")
@blp.response(200, Envelope(s.StoryAdminOut))
@error_responses(blp, {404: "STORY_NOT_FOUND", 409: "STORY_NOT_OPEN, MILESTONE_STORY"})
def end_story(story_id):
    """Close its window now: nobody unlocks it any more; who did keeps it."""
    return ok("STORY_ENDED", services().catalog.end(story_id))


@blp.route("/admin/stories/<story_id>", methods=["DELETE"])
@admin_required
@audited("story.delete")
@blp.response(200, Envelope())
@error_responses(blp, {404: "STORY_NOT_FOUND", 409: "STORY_PUBLISHED (end it instead), MILESTONE_STORY"})
def delete_story(story_id):
    """Only a draft is deleted."""
    services().catalog.delete(story_id)
    return ok("STORY_DELETED")


@blp.route("/admin/campaigns", methods=["GET"])
@admin_required
@blp.response(200, Envelope(s.CampaignOut, many=True))
def admin_campaigns():
    """Recurring campaigns: each published one is a story every year, inside its days."""
    return ok("CAMPAIGNS_RETRIEVED", services().catalog.campaigns())


@blp.route("/admin/campaigns", methods=["POST"])
@admin_required
@audited("campaign.create")
@blp.arguments(s.CampaignCreateIn)
@blp.response(201, Envelope(s.CampaignOut))
@error_responses(blp, {409: "CAMPAIGN_EXISTS", 422: "INVALID_CONDITION_VALUE"})
def create_campaign(body):
    """Defined once, a story every year (`special_<key>_<year>`, this year's and next year's exist at any
    time), unlocked by what is given inside the year's window."""
    return ok("CAMPAIGN_CREATED", services().catalog.create_campaign(body))


@blp.route("/admin/campaigns/<key>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(s.CampaignOut))
@error_responses(blp, {404: "CAMPAIGN_NOT_FOUND"})
def admin_campaign(key):
    return ok("CAMPAIGN_RETRIEVED", services().catalog.campaign(key))


@blp.route("/admin/campaigns/<key>", methods=["PATCH"])
@admin_required
@audited("campaign.update")
@blp.arguments(s.CampaignPatchIn)
@blp.response(200, Envelope(s.CampaignOut))
@error_responses(blp, {404: "CAMPAIGN_NOT_FOUND", 422: "INVALID_CONDITION_VALUE"})
def update_campaign(body, key):
    """The change holds for every year whose window has not opened yet; an opened year keeps its story."""
    return ok("CAMPAIGN_UPDATED", services().catalog.update_campaign(key, body))


@blp.route("/admin/campaigns/<key>/end", methods=["POST"])
@admin_required
@audited("campaign.end")
@blp.response(200, Envelope(s.CampaignOut))
@error_responses(blp, {404: "CAMPAIGN_NOT_FOUND"})
def end_campaign(key):
    """No story for the years to come; the ones already created stay."""
    return ok("CAMPAIGN_ENDED", services().catalog.end_campaign(key))
