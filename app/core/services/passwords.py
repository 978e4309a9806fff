"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.errors import Unauthorized


class PasswordHasher:
    def __init__(self, *, fast: bool = False):
        # fast: the test suite's cheaper parameters; never used outside APP_ENV=testing
        self._hasher = _Argon2(time_cost=1, memory_cost=8 * 1024, parallelism=1) if fast else _Argon2()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def require(self, password_hash: str, password: str) -> None:
        """Raise 401 INVALID_CREDENTIALS unless `password` is the one `password_hash` was made from."""
        if not self.verify(password_hash, password):
            raise Unauthorized("INVALID_CREDENTIALS")

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
