from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audit_change,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
)
from app.donations.schemas.donations import (
    AdminOnlusOut,
    AdminOnlusQuery,
    OnlusIn,
    OnlusOut,
    OnlusQuery,
    OnlusUpdateIn,
    SuspendIn,
    VerifyIn,
)
from app.donations.services import services

blp = Blueprint("onlus", __name__, url_prefix="/api/onlus", description="ONLUS that can receive donations")
admin_blp = Blueprint(
    "admin_onlus",
    __name__,
    url_prefix="/api/admin/onlus",
    description="ONLUS registry administration (create, update, verify, suspend)",
)


@blp.route("", methods=["GET"])
@blp.arguments(OnlusQuery, location="query")
@blp.response(200, Envelope(OnlusOut, paginated=True))
def list_onlus(query):
    """Verified, active organisations; filter by `category`, `search` the name."""
    rows, total = services().onlus.public_page(
        **page_window(query), category=query.get("category"), search=query.get("search")
    )
    return ok("ONLUS_LIST_RETRIEVED", page_of(query, rows, total))


@blp.route("/<oid:onlus_id>", methods=["GET"])
@blp.response(200, Envelope(OnlusOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def get_onlus(onlus_id):
    """A verified, active organisation (others are 404 here)."""
    return ok("ONLUS_RETRIEVED", services().onlus.public_detail(onlus_id))


@admin_blp.route("", methods=["GET"])
@admin_required
@admin_blp.arguments(AdminOnlusQuery, location="query")
@admin_blp.response(200, Envelope(AdminOnlusOut, paginated=True))
def admin_list(query):
    rows, total = services().onlus.admin_page(
        **page_window(query),
        status=query.get("status"),
        category=query.get("category"),
        search=query.get("search"),
        active=query.get("is_active"),
    )
    return ok("ONLUS_LIST_RETRIEVED", page_of(query, rows, total))


@admin_blp.route("", methods=["POST"])
@admin_required
@audited("onlus.create")
@admin_blp.arguments(OnlusIn)
@admin_blp.response(201, Envelope(AdminOnlusOut))
@error_responses(admin_blp, {409: "ONLUS_TAX_CODE_EXISTS"})
def admin_create(body):
    """A new organisation starts `pending`: it can receive donations once verified."""
    return ok("ONLUS_CREATED", services().onlus.create(body, actor_id=current_user_id()))


@admin_blp.route("/<oid:onlus_id>", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(AdminOnlusOut))
@error_responses(admin_blp, {404: "ONLUS_NOT_FOUND"})
def admin_get(onlus_id):
    return ok("ONLUS_RETRIEVED", services().onlus.admin_get(onlus_id))


@admin_blp.route("/<oid:onlus_id>", methods=["PUT"])
@admin_required
@audited("onlus.update")
@admin_blp.arguments(OnlusUpdateIn)
@admin_blp.response(200, Envelope(AdminOnlusOut))
@error_responses(admin_blp, {404: "ONLUS_NOT_FOUND", 409: "ONLUS_TAX_CODE_EXISTS"})
def admin_update(body, onlus_id):
    return ok("ONLUS_UPDATED", services().onlus.update(onlus_id, body, actor_id=current_user_id()))


@admin_blp.route("/<oid:onlus_id>/verify", methods=["POST"])
@admin_required
@audited("onlus.verify")
@admin_blp.arguments(VerifyIn)
@admin_blp.response(200, Envelope(AdminOnlusOut))
@error_responses(admin_blp, {404: "ONLUS_NOT_FOUND"})
def admin_verify(body, onlus_id):
    """`decision`: verified (default) or rejected; also reinstates a suspended organisation."""
    onlus = services().onlus.verify(
        onlus_id, decision=body["decision"], note=body.get("note"), actor_id=current_user_id()
    )
    _audit_status(onlus)
    return ok("ONLUS_VERIFICATION_UPDATED", onlus)


@admin_blp.route("/<oid:onlus_id>/suspend", methods=["POST"])
@admin_required
@audited("onlus.suspend")
@admin_blp.arguments(SuspendIn)
@admin_blp.response(200, Envelope(AdminOnlusOut))
@error_responses(admin_blp, {404: "ONLUS_NOT_FOUND", 409: "ONLUS_ALREADY_SUSPENDED"})
def admin_suspend(body, onlus_id):
    """Stop donations to this organisation (reason recorded)."""
    onlus = services().onlus.suspend(onlus_id, reason=body["reason"], actor_id=current_user_id())
    _audit_status(onlus)
    return ok("ONLUS_SUSPENDED", onlus)


def _audit_status(onlus: dict) -> None:
    """The verification status before and after, from the change the organisation's history just recorded."""
    change = onlus["status_history"][-1]
    audit_change(
        before={"verification_status": change["from"]},
        after={"verification_status": change["to"], "note": change.get("note")},
    )
