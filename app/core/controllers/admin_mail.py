from flask import current_app

from app.core.api import Blueprint, Envelope, admin_required, error_responses, ok, page_of, page_window
from app.core.schemas import MailOut, MailQuery
from app.core.services import services

blp = Blueprint(
    "admin_mail",
    __name__,
    url_prefix="/api/admin/mail",
    description="The mail outbox (admin): what was sent, is retrying or failed; outside production, with the "
    "plain-text bodies, so a developer without a mail server can follow the links",
)


def _shown(message: dict) -> dict:
    if current_app.config["APP_ENV"] == "production":
        return {**message, "text": None}  # its links work: not even admins read them in production
    return message


@blp.route("", methods=["GET"])
@admin_required
@blp.arguments(MailQuery, location="query")
@blp.response(200, Envelope(MailOut, paginated=True))
def list_mail(query):
    """Newest first; `to` is an exact address."""
    rows, total = services().mail.page(to=query.get("to"), status=query.get("status"), **page_window(query))
    return ok("MAIL_RETRIEVED", page_of(query, [_shown(m) for m in rows], total))


@blp.route("/<oid:message_id>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(MailOut))
@error_responses(blp, {404: "MAIL_NOT_FOUND"})
def get_mail(message_id):
    return ok("MAIL_RETRIEVED", _shown(services().mail.get(message_id)))
