"""What the factory builds once per app and hands to every module's `build()`.

Nothing here touches the database: the client connects on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_socketio import SocketIO
from pymongo.database import Database

from app.core.database import CommandCounter
from app.core.hooks import HookManager
from app.core.transactions import Transactions

T = TypeVar("T")

EXTENSION = "goodplay"


@dataclass(frozen=True)
class Infrastructure:
    config: Mapping[str, Any]
    db: Database
    transactions: Transactions
    hooks: HookManager
    socketio: SocketIO
    cache: Cache
    limiter: Limiter
    commands: CommandCounter | None = None  # database commands sent, for /metrics


def services_of(kind: type[T]) -> T:
    """The running app's services of one module, by their dataclass (for controllers, socket
    namespaces and CLI commands; services receive what they use in their constructor)."""
    return current_app.extensions[EXTENSION].of(kind)
