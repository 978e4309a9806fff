from datetime import datetime, time, timedelta

from app.core.api import (
    Blueprint,
    Envelope,
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
from app.core.clock import utcnow
from app.donations.models.compliance.rules import KYC_PENDING
from app.donations.schemas.common import DateRangeQuery
from app.donations.schemas.compliance import (
    AdminKycOut,
    ComplianceCheckOut,
    ComplianceCheckQuery,
    ComplianceReportOut,
    DecisionIn,
    FraudFlagOut,
    FraudFlagQuery,
    HeldDonationOut,
    HeldQuery,
    KycIn,
    KycOut,
    KycQuery,
    ResolveIn,
    ReviewIn,
    SanctionIn,
    SanctionOut,
)
from app.donations.schemas.donations import DonationOut
from app.donations.services import services

blp = Blueprint(
    "compliance",
    __name__,
    url_prefix="/api/compliance",
    description="KYC (users submit, admins review), AML/sanctions checks, held donations, fraud flags, "
    "compliance reports (admin unless noted)",
)


def period(query: dict, *, default_days: int = 30) -> tuple[datetime, datetime, object]:
    """[start, end) from inclusive `from`/`to` dates; also the inclusive end date."""
    today = utcnow().date()
    to_date = query.get("to_date") or today
    from_date = query.get("from_date") or (to_date - timedelta(days=default_days - 1))
    return datetime.combine(from_date, time.min), datetime.combine(to_date + timedelta(days=1), time.min), to_date


def _page(query: dict, rows_total, message: str):
    rows, total = rows_total
    return ok(message, page_of(query, rows, total))


# -- KYC (user) ----------------------------------------------------------------------


@blp.route("/kyc", methods=["GET"])
@login_required
@blp.response(200, Envelope(KycOut))
def my_kyc():
    """The signed-in user's KYC status: none, pending, approved or rejected. KYC is needed before donating
    more than the KYC threshold in the rolling window (larger donations are held until it is approved)."""
    return ok("KYC_RETRIEVED", services().kyc.record(current_user_id()))


@blp.route("/kyc", methods=["POST"])
@login_required
@rate_limited("money")
@blp.arguments(KycIn)
@blp.response(201, Envelope(KycOut))
@error_responses(blp, {409: "KYC_ALREADY_APPROVED"})
def submit_kyc(body):
    """Submit (or resubmit after a rejection) identity data for review; 409 KYC_ALREADY_APPROVED.
    Only the document number's last 4 characters are kept."""
    body["date_of_birth"] = body["date_of_birth"].isoformat()
    return ok("KYC_SUBMITTED", services().kyc.submit(current_user_id(), body))


# -- KYC (admin) ---------------------------------------------------------------------


@blp.route("/kyc/submissions", methods=["GET"])
@admin_required
@blp.arguments(KycQuery, location="query")
@blp.response(200, Envelope(AdminKycOut, paginated=True))
def kyc_submissions(query):
    """KYC records, oldest submission first; filter by `status`."""
    return _page(
        query,
        services().kyc.page(status=query.get("status"), **page_window(query)),
        "KYC_SUBMISSIONS_RETRIEVED",
    )


@blp.route("/kyc/<oid:user_id>/review", methods=["POST"])
@admin_required
@audited("kyc.review")
@blp.arguments(ReviewIn)
@blp.response(200, Envelope(AdminKycOut))
@error_responses(blp, {404: "KYC_NOT_FOUND", 409: "KYC_NOT_PENDING"})
def review_kyc(body, user_id):
    """Approve or reject a pending submission (409 KYC_NOT_PENDING otherwise)."""
    record = services().kyc.review(user_id, approve=body["approve"], note=body.get("note"), actor_id=current_user_id())
    # the decision only: the submission's personal data stays out of the audit log
    audit_change(
        before={"status": KYC_PENDING}, after={"status": record["status"], "review_note": record.get("review_note")}
    )
    return ok("KYC_REVIEWED", record)


# -- held donations -------------------------------------------------------------------


@blp.route("/held", methods=["GET"])
@admin_required
@blp.arguments(HeldQuery, location="query")
@blp.response(200, Envelope(HeldDonationOut, paginated=True))
def held_donations(query):
    """Donations held by a compliance or fraud rule (default: still waiting), oldest first, with reasons."""
    status = None if query["status"] == "all" else query["status"]
    return _page(query, services().held.page(status=status, **page_window(query)), "HELD_DONATIONS_RETRIEVED")


@blp.route("/held/<oid:donation_id>/approve", methods=["POST"])
@admin_required
@audited("held_donation.approve")
@rate_limited("money")
@blp.arguments(DecisionIn)
@blp.response(200, Envelope(DonationOut))
@error_responses(blp, {404: "HELD_DONATION_NOT_FOUND", 409: "DONATION_NOT_HELD"})
def approve_held(body, donation_id):
    """Complete a held donation (receipt, DonationComplete). Exactly once: 409 DONATION_NOT_HELD after a
    rejection; approving again answers the completed donation."""
    return ok(
        "HELD_DONATION_APPROVED",
        services().held.approve(donation_id, actor_id=current_user_id(), note=body.get("note")),
    )


@blp.route("/held/<oid:donation_id>/reject", methods=["POST"])
@admin_required
@audited("held_donation.reject")
@rate_limited("money")
@blp.arguments(DecisionIn)
@blp.response(200, Envelope(DonationOut))
@error_responses(blp, {404: "HELD_DONATION_NOT_FOUND", 409: "DONATION_NOT_HELD"})
def reject_held(body, donation_id):
    """Reject a held donation: the money returns to the wallet (card payments: to the card)."""
    return ok(
        "HELD_DONATION_REJECTED",
        services().held.reject(donation_id, actor_id=current_user_id(), note=body.get("note")),
    )


# -- checks, sanctions, reports ---------------------------------------------------------


@blp.route("/checks", methods=["GET"])
@admin_required
@blp.arguments(ComplianceCheckQuery, location="query")
@blp.response(200, Envelope(ComplianceCheckOut, paginated=True))
def checks(query):
    """Every recorded compliance decision with each rule's result, newest first."""
    return _page(
        query,
        services().compliance.checks_page(
            outcome=query.get("outcome"), user_id=query.get("user_id"), **page_window(query)
        ),
        "COMPLIANCE_CHECKS_RETRIEVED",
    )


@blp.route("/sanctions", methods=["GET"])
@admin_required
@blp.response(200, Envelope(SanctionOut, many=True))
def sanctions():
    """The names screened: configured (DONATION_COMPLIANCE.sanctions_list) and added by admins."""
    return ok("SANCTIONS_LIST_RETRIEVED", services().sanctions.list_entries())


@blp.route("/sanctions", methods=["POST"])
@admin_required
@audited("sanction.add")
@blp.arguments(SanctionIn)
@blp.response(201, Envelope(SanctionOut))
@error_responses(blp, {409: "SANCTIONS_ENTRY_EXISTS"})
def add_sanction(body):
    """Screen a name from now on (donors and ONLUS); 409 SANCTIONS_ENTRY_EXISTS."""
    return ok(
        "SANCTIONS_ENTRY_ADDED",
        services().sanctions.add(body["name"], note=body.get("note"), actor_id=current_user_id()),
    )


@blp.route("/sanctions/<oid:entry_id>", methods=["DELETE"])
@admin_required
@audited("sanction.remove")
@blp.response(200, Envelope())
@error_responses(blp, {404: "SANCTIONS_ENTRY_NOT_FOUND"})
def remove_sanction(entry_id):
    services().sanctions.remove(entry_id)
    return ok("SANCTIONS_ENTRY_REMOVED", None)


@blp.route("/reports", methods=["GET"])
@admin_required
@blp.arguments(DateRangeQuery, location="query")
@blp.response(200, Envelope(ComplianceReportOut))
def report(query):
    """Compliance report for a period (default: the last 30 days): checks by outcome and rule, held amounts
    and decisions, KYC reviews, fraud flags."""
    start, end, to_date = period(query)
    data = services().compliance.report(
        start,
        end,
        held_donations=services().held.between(start, end),
        flags=services().fraud.between(start, end),
    )
    data["to_inclusive"] = to_date
    return ok("COMPLIANCE_REPORT_RETRIEVED", data)


# -- fraud flags ------------------------------------------------------------------------


@blp.route("/fraud-flags", methods=["GET"])
@admin_required
@blp.arguments(FraudFlagQuery, location="query")
@blp.response(200, Envelope(FraudFlagOut, paginated=True))
def fraud_flags(query):
    """Velocity, card-testing, credit-farming, dispute flags, newest first."""
    return _page(
        query,
        services().fraud.page(status=query.get("status"), kind=query.get("kind"), **page_window(query)),
        "FRAUD_FLAGS_RETRIEVED",
    )


@blp.route("/fraud-flags/<oid:flag_id>/resolve", methods=["POST"])
@admin_required
@audited("fraud_flag.resolve")
@blp.arguments(ResolveIn)
@blp.response(200, Envelope(FraudFlagOut))
@error_responses(blp, {404: "FRAUD_FLAG_NOT_FOUND", 409: "FRAUD_FLAG_ALREADY_RESOLVED"})
def resolve_flag(body, flag_id):
    return ok("FRAUD_FLAG_RESOLVED", services().fraud.resolve(flag_id, note=body["note"], actor_id=current_user_id()))
