from flask_smorest import Blueprint

from app.core.api import Envelope, PageQuery, admin_required, current_user_id, error_responses, ok, page_of, page_window
from app.donations.schemas.wallet import RatesIn, RatesOut
from app.donations.services import services

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
@blp.arguments(RatesIn)
@blp.response(200, Envelope(RatesOut))
@error_responses(blp, {409: "RATES_UPDATED_CONCURRENTLY"})
def update_rates(body):
    """Admin: a new version effective now, built from the current one with these changes (history kept)."""
    return ok("CONVERSION_RATES_UPDATED", services().rates.update(body, actor_id=current_user_id()))


@blp.route("/history", methods=["GET"])
@admin_required
@blp.arguments(PageQuery, location="query")
@blp.response(200, Envelope(RatesOut, paginated=True))
def rates_history(query):
    """Admin: every version, newest first."""
    rows, total = services().rates.history(**page_window(query))
    return ok("CONVERSION_RATES_HISTORY", page_of(query, rows, total))
