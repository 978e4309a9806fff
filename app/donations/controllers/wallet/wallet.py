from datetime import datetime, time, timedelta

from app.core.api import (
    Blueprint,
    Envelope,
    Page,
    PageQuery,
    admin_required,
    audit_change,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
    rate_limited,
)
from app.core.services import services as core_services
from app.donations.schemas.wallet import (
    AdjustmentIn,
    AdminTransactionOut,
    IntegrityOut,
    ReleaseIn,
    TransactionOut,
    TransactionQuery,
    WalletOut,
)
from app.donations.services import services

blp = Blueprint("wallet", __name__, url_prefix="/api/wallet", description="The signed-in user's wallet and ledger")
admin_blp = Blueprint(
    "admin_wallets",
    __name__,
    url_prefix="/api/admin/wallets",
    description="Wallet administration: adjustments through the ledger, held credits, integrity",
)


def day_range(query: dict) -> dict:
    start = query.get("from_date")
    end = query.get("to_date")
    return {
        "start": datetime.combine(start, time.min) if start else None,
        "end": datetime.combine(end + timedelta(days=1), time.min) if end else None,
    }


def _page(user_id: str, query: dict) -> Page:
    rows, total = services().wallet.transactions(
        user_id, **page_window(query), types=[query["type"]] if query.get("type") else None, **day_range(query)
    )
    return page_of(query, rows, total)


@blp.route("", methods=["GET"])
@login_required
@blp.response(200, Envelope(WalletOut))
def get_wallet():
    """Balance, lifetime earnings and donations (euros); created on first need."""
    return ok("WALLET_RETRIEVED", services().wallet.get_wallet(current_user_id()))


@blp.route("/transactions", methods=["GET"])
@login_required
@blp.arguments(TransactionQuery, location="query")
@blp.response(200, Envelope(TransactionOut, paginated=True))
def list_transactions(query):
    """The wallet's ledger, newest first; filter by `type` and a `from`/`to` date range (inclusive)."""
    return ok("TRANSACTIONS_RETRIEVED", _page(current_user_id(), query))


@blp.route("/transactions/<oid:entry_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(TransactionOut))
@error_responses(blp, {404: "TRANSACTION_NOT_FOUND"})
def get_transaction(entry_id):
    """One ledger entry with its breakdown (for session credits: rate, multipliers, caps)."""
    return ok("TRANSACTION_RETRIEVED", services().wallet.transaction(current_user_id(), entry_id))


@admin_blp.route("/held", methods=["GET"])
@admin_required
@admin_blp.arguments(PageQuery, location="query")
@admin_blp.response(200, Envelope(AdminTransactionOut, paginated=True))
def admin_held_credits(query):
    """Credits held by a fraud check (implausible play, too many sessions, velocity, credit farming) and not
    yet settled, oldest first; settle each with POST /api/admin/wallets/<user_id>/held/<entry_id>/release.
    Held donations are listed at GET /api/compliance/held."""
    rows, total = services().wallet.held_credits(**page_window(query))
    return ok("HELD_CREDITS_RETRIEVED", page_of(query, rows, total))


@admin_blp.route("/<oid:user_id>", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(WalletOut))
@error_responses(admin_blp, {404: "USER_NOT_FOUND"})
def admin_get_wallet(user_id):
    core_services().users.get(user_id)
    return ok("WALLET_RETRIEVED", services().wallet.get_wallet(user_id))


@admin_blp.route("/<oid:user_id>/transactions", methods=["GET"])
@admin_required
@admin_blp.arguments(TransactionQuery, location="query")
@admin_blp.response(200, Envelope(AdminTransactionOut, paginated=True))
@error_responses(admin_blp, {404: "USER_NOT_FOUND"})
def admin_list_transactions(query, user_id):
    core_services().users.get(user_id)
    return ok("TRANSACTIONS_RETRIEVED", _page(user_id, query))


@admin_blp.route("/<oid:user_id>/adjustments", methods=["POST"])
@admin_required
@audited("wallet.adjust")
@rate_limited("money")
@admin_blp.arguments(AdjustmentIn)
@admin_blp.response(201, Envelope(AdminTransactionOut))
@error_responses(admin_blp, {404: "USER_NOT_FOUND", 409: "INSUFFICIENT_BALANCE"})
def adjust(body, user_id):
    """Credit or debit a wallet through the ledger, with a reason; the admin's id is recorded.
    A debit never takes the balance below zero (409 INSUFFICIENT_BALANCE)."""
    core_services().users.get(user_id)
    cents = body["amount"] if body["direction"] == "credit" else -body["amount"]
    entry = services().wallet.adjust(user_id, amount_cents=cents, reason=body["reason"], actor_id=current_user_id())
    balance = entry["balance_after_cents"]
    audit_change(before={"balance_cents": balance - cents}, after={"balance_cents": balance, "reason": body["reason"]})
    return ok("WALLET_ADJUSTED", entry)


@admin_blp.route("/<oid:user_id>/held/<oid:entry_id>/release", methods=["POST"])
@admin_required
@audited("wallet.release_held")
@rate_limited("money")
@admin_blp.arguments(ReleaseIn)
@admin_blp.response(201, Envelope(AdminTransactionOut))
@error_responses(admin_blp, {404: "HELD_CREDIT_NOT_FOUND"})
def release_held(body, user_id, entry_id):
    """Settle credits a fraud check held: approve moves them to the balance, reject voids them."""
    entry = services().wallet.release_held(
        user_id, entry_id, actor_id=current_user_id(), approve=body["approve"], reason=body["reason"]
    )
    return ok("HELD_CREDITS_SETTLED", entry)


@admin_blp.route("/integrity-check", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(IntegrityOut))
def integrity_report():
    """Every balance against the sum of its ledger, and every wallet of no known user, as of now (not
    recorded; POST records the day's report)."""
    return ok("INTEGRITY_CHECKED", services().wallet.integrity_report())


@admin_blp.route("/integrity-check", methods=["POST"])
@admin_required
@audited("wallet.integrity_check")
@admin_blp.response(200, Envelope(IntegrityOut))
def integrity_check():
    """Run the daily check now: every balance against the sum of its ledger."""
    return ok("INTEGRITY_CHECKED", services().wallet.run_integrity_check())
