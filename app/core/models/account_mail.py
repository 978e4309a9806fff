"""The account emails: subject, plain text and HTML of each, free of I/O."""

from __future__ import annotations

from app.core.models.mail_text import compose

VERIFY_HOURS = 24
RESET_MINUTES = 30


def verify_email(first_name: str, link: str) -> dict:
    return compose(
        "Confirm your email address",
        f"Hi {first_name},",
        [f"Please confirm this address for your GoodPlay account. The link works once, for {VERIFY_HOURS} hours."],
        link,
        "Confirm my email",
    )


def confirm_new_email(first_name: str, new_email: str, link: str) -> dict:
    return compose(
        "Confirm your new email address",
        f"Hi {first_name},",
        [
            f"You asked to use {new_email} for your GoodPlay account. It takes effect when you confirm it.",
            f"The link works once, for {VERIFY_HOURS} hours. If you did not ask for this, ignore this message.",
        ],
        link,
        "Confirm my new email",
    )


def email_change_requested(first_name: str, new_email: str) -> dict:
    return compose(
        "Your GoodPlay email address is being changed",
        f"Hi {first_name},",
        [
            f"Someone with your password asked to move your GoodPlay account to {new_email}.",
            "If that was not you, change your password now: the change only happens once the new address is confirmed.",
        ],
    )


def email_changed(first_name: str, new_email: str) -> dict:
    return compose(
        "Your GoodPlay email address was changed",
        f"Hi {first_name},",
        [f"Your GoodPlay account now uses {new_email}. If that was not you, contact us at once."],
    )


def reset_password(first_name: str, link: str) -> dict:
    return compose(
        "Reset your GoodPlay password",
        f"Hi {first_name},",
        [
            f"Someone asked to reset your GoodPlay password. The link works once, for {RESET_MINUTES} minutes.",
            "Resetting signs you out everywhere. If you did not ask for this, ignore this message.",
        ],
        link,
        "Choose a new password",
    )


def password_was_reset(first_name: str) -> dict:
    return compose(
        "Your GoodPlay password was changed",
        f"Hi {first_name},",
        ["Your password was reset and every session was signed out. If that was not you, contact us at once."],
    )
