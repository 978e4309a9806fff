from app.core.api import (
    Blueprint,
    Envelope,
    PageQuery,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
)
from app.donations.controllers.compliance.compliance import period
from app.donations.schemas.treasury import (
    DashboardOut,
    DashboardQuery,
    DiscrepancyOut,
    DiscrepancyQuery,
    ReconciliationOut,
)
from app.donations.services import services

blp = Blueprint(
    "admin_financial",
    __name__,
    url_prefix="/api/admin/financial",
    description="Financial analytics and reconciliation (admin)",
)


@blp.route("/dashboard", methods=["GET"])
@admin_required
@blp.arguments(DashboardQuery, location="query")
@blp.response(200, Envelope(DashboardOut))
def dashboard(query):
    """Totals from the ledger for a period (default: the last 30 days): donated, refunded, net, counts,
    donors (new ones too), averages; by ONLUS, category and source; a day/week/month trend; wallet
    balances, held donations, card payments. Cached; a donation or refund invalidates it."""
    start, end, _ = period(query)
    return ok(
        "FINANCIAL_DASHBOARD_RETRIEVED",
        services().financial.dashboard(start, end, granularity=query["granularity"], refresh=query["refresh"]),
    )


@blp.route("/reconciliation", methods=["POST"])
@admin_required
@audited("reconciliation.run")
@blp.response(201, Envelope(ReconciliationOut))
def run_reconciliation():
    """Run the reconciliation now: wallets against the ledger, donations against the ledger and the ONLUS
    allocations, payment intents against the provider. Discrepancies are stored with detail."""
    return ok("RECONCILIATION_COMPLETED", services().reconciliation.run(triggered_by=current_user_id()))


@blp.route("/reconciliation", methods=["GET"])
@admin_required
@blp.arguments(PageQuery, location="query")
@blp.response(200, Envelope(ReconciliationOut, paginated=True))
def list_reconciliations(query):
    rows, total = services().reconciliation.page(**page_window(query))
    return ok("RECONCILIATIONS_RETRIEVED", page_of(query, rows, total))


@blp.route("/reconciliation/<oid:run_id>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(ReconciliationOut))
@error_responses(blp, {404: "RECONCILIATION_RUN_NOT_FOUND"})
def get_reconciliation(run_id):
    return ok("RECONCILIATION_RETRIEVED", services().reconciliation.get(run_id))


@blp.route("/reconciliation/<oid:run_id>/discrepancies", methods=["GET"])
@admin_required
@blp.arguments(DiscrepancyQuery, location="query")
@blp.response(200, Envelope(DiscrepancyOut, paginated=True))
@error_responses(blp, {404: "RECONCILIATION_RUN_NOT_FOUND"})
def list_discrepancies(query, run_id):
    rows, total = services().reconciliation.discrepancies_page(run_id, kind=query.get("kind"), **page_window(query))
    return ok("DISCREPANCIES_RETRIEVED", page_of(query, rows, total))
