"""Events published by the core module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from app.core.hooks import DomainEvent


@dataclass(frozen=True)
class UserRegistered(DomainEvent):
    """Published by core right after an account is created (register, admin bootstrap)."""

    name: ClassVar[str] = "user_registered"
    user_id: str
    first_name: str
    last_name: str
    registered_at: datetime


@dataclass(frozen=True)
class UserLogin(DomainEvent):
    """Published by core on a user's first successful password login of each day (UTC). Social keeps
    daily login streaks from it."""

    name: ClassVar[str] = "user_login"
    user_id: str
    logged_in_at: datetime


EVENTS = (UserRegistered, UserLogin)
