"""User rules, free of I/O."""

from __future__ import annotations

ROLES = ("user", "admin")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
NAME_MAX = 60


def normalize_email(email: str) -> str:
    """Emails are unique regardless of case and surrounding blanks."""
    return email.strip().lower()


def display_name(user: dict) -> str:
    last = (user.get("last_name") or "").strip()
    return f"{user.get('first_name', '').strip()} {last[:1] + '.' if last else ''}".strip()
