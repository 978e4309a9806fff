"""ONLUS registry rules (pure): categories, verification states, Italian tax codes."""

from __future__ import annotations

import re

CATEGORIES = (
    "education",
    "health",
    "environment",
    "poverty",
    "animals",
    "culture",
    "emergency",
    "research",
    "human_rights",
    "community",
)
PENDING, VERIFIED, REJECTED, SUSPENDED = "pending", "verified", "rejected", "suspended"
STATUSES = (PENDING, VERIFIED, REJECTED, SUSPENDED)

_NUMERIC = re.compile(r"^\d{11}$")
_PERSONAL = re.compile(r"^[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]$")


def tax_code_check_digit(first_ten: str) -> int:
    """Check digit of an 11-digit codice fiscale / partita IVA (the Luhn-like rule of the Agenzia delle Entrate)."""
    total = 0
    for index, char in enumerate(first_ten):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def normalise_tax_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def is_valid_tax_code(value: str) -> bool:
    """An organisation's 11-digit numeric code (with its check digit), or a 16-character personal code."""
    code = normalise_tax_code(value)
    if _NUMERIC.match(code):
        return tax_code_check_digit(code[:10]) == int(code[10])
    return bool(_PERSONAL.match(code))


def can_receive_donations(onlus: dict) -> bool:
    return onlus.get("verification_status") == VERIFIED and bool(onlus.get("is_active"))


def public_view(onlus: dict) -> dict:
    """The cross-module shape (app.donations.contracts.OnlusDirectory.get)."""
    return {
        "id": str(onlus["_id"]),
        "name": onlus["name"],
        "category": onlus["category"],
        "tax_code": onlus["tax_code"],
        "website": onlus.get("website"),
        "verification_status": onlus["verification_status"],
        "is_verified": onlus["verification_status"] == VERIFIED,
        "is_active": bool(onlus.get("is_active")),
    }
