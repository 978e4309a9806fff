"""Accounts: register, login, refresh, logout, change password, admin bootstrap."""

from __future__ import annotations

from app.core.clock import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from app.core.events import UserLogin, UserRegistered
from app.core.models.user import check_password, normalize_email
from app.core.repositories.users import EmailTaken, UserRepository
from app.core.services.account_service import AccountService
from app.core.services.passwords import PasswordHasher
from app.core.services.settings_service import RuntimeSettings
from app.core.services.tokens import TokenService
from app.core.transactions import Transactions

# A real hash of a random password, verified against when the email is unknown so
# that a wrong email and a wrong password take the same time.
_DUMMY_PASSWORD = "not-a-real-password-ever"


class AuthService:
    def __init__(
        self,
        *,
        users: UserRepository,
        tokens: TokenService,
        hasher: PasswordHasher,
        hooks,
        transactions: Transactions,
        accounts: AccountService,
        settings: RuntimeSettings,
    ):
        self.settings = settings
        self.users = users
        self.tokens = tokens
        self.hasher = hasher
        self.hooks = hooks
        self.transactions = transactions
        self.accounts = accounts
        self._dummy_hash = hasher.hash(_DUMMY_PASSWORD)

    def register(self, *, email: str, password: str, first_name: str, last_name: str) -> tuple[dict, dict]:
        """403 REGISTRATION_CLOSED while the operator has closed registration."""
        self.settings.require_registration_open()
        user = self._create(email=email, password=password, first_name=first_name, last_name=last_name)
        return user, self.tokens.issue_pair(user)

    def _create(self, *, email: str, password: str, first_name: str, last_name: str, role: str = "user") -> dict:
        """The account, with the mail verifying its address in the same transaction (an admin created by
        the operator is verified from the start)."""
        check_password(password)
        password_hash = self.hasher.hash(password)

        def work(session):
            user = self.users.insert(
                email=normalize_email(email),
                password_hash=password_hash,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                role=role,
                email_verified=role == "admin",
                session=session,
            )
            if role != "admin":
                self.accounts.start_verification(user, session=session)
            return user

        try:
            user = self.transactions.run(work)
        except EmailTaken as exc:
            raise Conflict("EMAIL_ALREADY_EXISTS", errors={"email": ["Already registered."]}) from exc
        self.hooks.publish(
            UserRegistered(
                user_id=str(user["_id"]),
                first_name=user["first_name"],
                last_name=user["last_name"],
                registered_at=user["created_at"],
            ),
            key=f"user_registered:{user['_id']}",
        )
        return user

    def login(self, *, email: str, password: str) -> tuple[dict, dict]:
        user = self.users.by_email(normalize_email(email))
        if user is None:
            self.hasher.verify(self._dummy_hash, password)
            raise Unauthorized("INVALID_CREDENTIALS")
        self.hasher.require(user["password_hash"], password)
        if not user.get("is_active", True):  # told only to whoever knows the password
            raise Forbidden("ACCOUNT_SUSPENDED")
        if self.hasher.needs_rehash(user["password_hash"]):
            self.users.update_fields(str(user["_id"]), {"password_hash": self.hasher.hash(password)})
        pair = self.tokens.issue_pair(user)
        now = utcnow()
        last = user.get("last_login_at")
        if last is None or last.date() != now.date():
            # the event first: a crash in between publishes it again at the next login (its handlers
            # keep one outcome per user and day)
            self.hooks.publish(UserLogin(user_id=str(user["_id"]), logged_in_at=now))
            self.users.set_last_login(str(user["_id"]), now)
        return user, pair

    def refresh(self, claims: dict) -> dict:
        user = self.users.by_id(claims["sub"])
        if user is None or not user.get("is_active", True):
            self.tokens.revoke(claims, family=True)
            raise Unauthorized("TOKEN_INVALID")
        return self.tokens.rotate(claims, role=user.get("role", "user"))

    def logout(self, *, token: str | None = None, refresh_token: str | None = None) -> None:
        """End the session (the token family) of `token` (an access token, even expired, or a refresh
        token) and of `refresh_token` (the body's). Both must be the same user's; nothing is revoked
        otherwise."""
        if not token and not refresh_token:
            raise Unauthorized("TOKEN_MISSING")
        primary = self.tokens.decode(token or refresh_token)
        extra = self.tokens.decode(refresh_token) if token and refresh_token else None
        if (
            not primary.get("sub")
            or (not token and primary.get("type") != "refresh")
            or (extra is not None and (extra.get("type") != "refresh" or extra.get("sub") != primary["sub"]))
        ):
            raise Unauthorized("TOKEN_INVALID")
        if self.tokens.is_revoked(primary):
            raise Unauthorized("TOKEN_REVOKED")
        for claims in (primary, extra):
            if claims is not None:
                self.tokens.revoke(claims, family=True)

    def change_password(self, claims: dict, *, current_password: str, new_password: str) -> None:
        user = self.users.by_id(claims["sub"])
        if user is None:
            raise NotFound("USER_NOT_FOUND")
        self.hasher.require(user["password_hash"], current_password)
        if current_password == new_password:
            raise ValidationFailed(errors={"new_password": ["Must differ from the current password."]})
        check_password(new_password, field="new_password")
        self.users.update_fields(claims["sub"], {"password_hash": self.hasher.hash(new_password)})
        self.tokens.revoke_other_sessions(claims["sub"], keep_family=claims.get("fam"))

    def ensure_admin(
        self, *, email: str, password: str, first_name: str = "GoodPlay", last_name: str = "Admin"
    ) -> dict:
        """Create the admin account, or make an existing account admin with this password."""
        existing = self.users.by_email(normalize_email(email))
        if existing is None:
            return self._create(
                email=email, password=password, first_name=first_name, last_name=last_name, role="admin"
            )
        check_password(password)
        fields = {"role": "admin", "is_active": True}
        if not self.hasher.verify(existing["password_hash"], password):
            fields["password_hash"] = self.hasher.hash(password)
        return self.users.update_fields(str(existing["_id"]), fields)
