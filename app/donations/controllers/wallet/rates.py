from app.core.api import (
    Blueprint,
    Envelope,
    PageQuery,
    admin_required,
    audit_change,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
)
from app.donations.schemas.wallet import RatesIn, RatesOut
from app.donations.services import services

# what a new version of the rates may change, as its audit entry records them
RATE_FIELDS = ("version", "base_rate_per_minute", "category_rates", "multipliers", "streak_min_days", "daily_cap_cents")

blp = Blueprint(
    "conversion_rates",
    __name__,
    url_prefix="/api/conversion-rates",
    description="Credit conversion rates (euros per minute of play, multipliers, daily cap)",
)


@blp.route("/current", methods=["GET"])
@blp.response(200, Envelope(RatesOut))
def current_rates():
    """The rates in force: `base_rate_per_minute` euros per minute before multipliers, per-category rates,
    `multipliers` (tournament, streak from `streak_min_days` consecutive days, weekend) and `daily_cap` euros."""
    return ok("CONVERSION_RATES_RETRIEVED", services().rates.current_doc())


@blp.route("/current", methods=["PUT"])
@admin_required
@audited("conversion_rates.update")
@blp.arguments(RatesIn)
@blp.response(200, Envelope(RatesOut))
@error_responses(blp, {409: "RATES_UPDATED_CONCURRENTLY"})
def update_rates(body):
    """Admin: a new version effective now, built from the current one with these changes (history kept)."""
    previous = services().rates.current_doc()
    created = services().rates.update(body, actor_id=current_user_id())
    audit_change(before=_rates(previous), after=_rates(created))
    return ok("CONVERSION_RATES_UPDATED", created)


def _rates(doc: dict) -> dict:
    return {key: doc.get(key) for key in RATE_FIELDS}


@blp.route("/history", methods=["GET"])
@admin_required
@blp.arguments(PageQuery, location="query")
@blp.response(200, Envelope(RatesOut, paginated=True))
def rates_history(query):
    """Admin: every version, newest first."""
    rows, total = services().rates.history(**page_window(query))
    return ok("CONVERSION_RATES_HISTORY", page_of(query, rows, total))
