"""Email verification, email change and password reset, through single-use links sent by mail.

A link is a random 256-bit token; only its SHA-256 is stored (app/core/repositories/account_tokens.py), so
neither the database nor a backup holds a link that works. Asking again voids the earlier link of the same
kind. Each email is written to the mail outbox in the same transaction as the link it carries.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app.core.clock import utcnow
from app.core.contracts import AuditTrail, MailQueue
from app.core.errors import BadRequest, Conflict, NotFound
from app.core.models import account_mail
from app.core.models.user import check_password, normalize_email
from app.core.repositories.account_tokens import AccountTokenRepository
from app.core.repositories.users import EmailTaken, UserRepository
from app.core.services.passwords import PasswordHasher
from app.core.services.tokens import TokenService
from app.core.transactions import Transactions

VERIFY_EMAIL, CHANGE_EMAIL, RESET_PASSWORD = "verify_email", "change_email", "reset_password"
LIFETIMES = {
    VERIFY_EMAIL: timedelta(hours=account_mail.VERIFY_HOURS),
    CHANGE_EMAIL: timedelta(hours=account_mail.VERIFY_HOURS),
    RESET_PASSWORD: timedelta(minutes=account_mail.RESET_MINUTES),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    def __init__(
        self,
        *,
        users: UserRepository,
        links: AccountTokenRepository,
        tokens: TokenService,
        hasher: PasswordHasher,
        mail: MailQueue,
        transactions: Transactions,
        frontend_url: str,
        audit: AuditTrail | None = None,
    ):
        self.users = users
        self.links = links
        self.tokens = tokens
        self.hasher = hasher
        self.mail = mail
        self.transactions = transactions
        self.frontend_url = frontend_url.rstrip("/")
        self.audit = audit

    # -- links ------------------------------------------------------------------------------
    def _send_link(self, user: dict, purpose: str, *, to: str, compose, session=None) -> None:
        """A new link of `purpose` for `user`, mailed to `to` (`compose(link)` gives the mail)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        user_id = str(user["_id"])
        self.links.void_open(user_id, purpose, now, session=session)
        self.links.insert(
            {
                "_id": _digest(token),
                "user_id": user_id,
                "purpose": purpose,
                "email": to,
                "created_at": now,
                "expires_at": now + LIFETIMES[purpose],
                "used_at": None,
            },
            session=session,
        )
        page = "reset-password" if purpose == RESET_PASSWORD else "verify-email"
        mail = compose(f"{self.frontend_url}/{page}?token={token}")
        self.mail.enqueue(to=to, key=f"{purpose}:{_digest(token)}", user_id=user_id, session=session, **mail)

    def _use(self, token: str, purposes: tuple[str, ...], invalid: str) -> dict:
        link = self.links.consume(_digest(token), purposes, utcnow()) if token else None
        if link is None:
            raise BadRequest(invalid)
        return link

    def _notify(self, user: dict, key: str, mail: dict, *, to: str | None = None) -> None:
        self.mail.enqueue(to=to or user["email"], key=key, user_id=str(user["_id"]), **mail)

    def _audit(self, action: str, user_id: str, **details) -> None:
        if self.audit is not None:
            self.audit.record(actor_id=user_id, action=action, target={"kind": "user", "id": user_id}, **details)

    # -- verification -----------------------------------------------------------------------
    def start_verification(self, user: dict, *, session=None) -> None:
        """Mail `user` a link confirming their current address (registration; resend)."""
        self._send_link(
            user,
            VERIFY_EMAIL,
            to=user["email"],
            compose=lambda link: account_mail.verify_email(user["first_name"], link),
            session=session,
        )

    def resend_verification(self, user_id: str) -> None:
        user = self._user(user_id)
        if user.get("email_verified"):
            raise Conflict("EMAIL_ALREADY_VERIFIED")
        self.transactions.run(lambda session: self.start_verification(user, session=session))

    def verify_email(self, token: str) -> dict:
        """Confirm an address: the account's own (registration) or the new one it asked for (an email change,
        which takes effect now). The link of an address the account no longer has does nothing."""
        link = self._use(token, (VERIFY_EMAIL, CHANGE_EMAIL), "LINK_INVALID")
        user = self._user(link["user_id"])
        if link["purpose"] == VERIFY_EMAIL:
            if user["email"] != link["email"]:
                raise BadRequest("LINK_INVALID")
            return self.users.update_fields(link["user_id"], {"email_verified": True})
        old = user["email"]
        try:
            changed = self.users.set_email(link["user_id"], link["email"])
        except EmailTaken as exc:
            raise Conflict("EMAIL_ALREADY_EXISTS", errors={"email": ["Already registered."]}) from exc
        self._notify(
            user, f"email_changed:{link['_id']}", account_mail.email_changed(user["first_name"], link["email"]), to=old
        )
        self._audit("auth.email_changed", link["user_id"], before={"email": old}, after={"email": link["email"]})
        return changed

    # -- email change -----------------------------------------------------------------------
    def request_email_change(self, user_id: str, *, new_email: str, password: str) -> None:
        """Mail the new address a confirmation link and tell the current one; nothing changes until the link
        is used."""
        user = self._user(user_id)
        self.hasher.require(user["password_hash"], password)
        new_email = normalize_email(new_email)
        if new_email == user["email"]:
            raise Conflict("EMAIL_UNCHANGED", errors={"email": ["This is already your address."]})
        if self.users.by_email(new_email) is not None:
            raise Conflict("EMAIL_ALREADY_EXISTS", errors={"email": ["Already registered."]})

        def work(session):
            self._send_link(
                user,
                CHANGE_EMAIL,
                to=new_email,
                compose=lambda link: account_mail.confirm_new_email(user["first_name"], new_email, link),
                session=session,
            )
            notice = account_mail.email_change_requested(user["first_name"], new_email)
            key = f"email_change_requested:{user_id}:{utcnow().isoformat()}"
            self.mail.enqueue(to=user["email"], key=key, user_id=user_id, session=session, **notice)

        self.transactions.run(work)
        self._audit("auth.email_change_requested", user_id, after={"email": new_email})

    # -- password reset ---------------------------------------------------------------------
    def forgot_password(self, email: str) -> None:
        """Mail a reset link when an active account has this address; the caller answers the same either way."""
        user = self.users.by_email(normalize_email(email))
        if user is None or not user.get("is_active", True):
            return
        self.transactions.run(
            lambda session: self._send_link(
                user,
                RESET_PASSWORD,
                to=user["email"],
                compose=lambda link: account_mail.reset_password(user["first_name"], link),
                session=session,
            )
        )

    def reset_password(self, token: str, password: str) -> None:
        """Set the new password and end every session of the account (its sockets follow within a second)."""
        check_password(password)
        link = self._use(token, (RESET_PASSWORD,), "LINK_INVALID")
        user = self._user(link["user_id"])
        fields = {"password_hash": self.hasher.hash(password)}
        if link["email"] == user["email"]:
            fields["email_verified"] = True  # the link reached this address
        self.users.update_fields(link["user_id"], fields)
        self.tokens.revoke_other_sessions(link["user_id"], keep_family=None)
        self._notify(user, f"password_reset:{link['_id']}", account_mail.password_was_reset(user["first_name"]))
        self._audit("auth.password_reset", link["user_id"])

    def _user(self, user_id: str) -> dict:
        user = self.users.by_id(user_id)
        if user is None:
            raise NotFound("USER_NOT_FOUND")
        return user
