"""MongoDB transactions, the two ways services use them.

- `Transactions.run(work)`: `work(session)` in pymongo's `with_transaction` (retried whole on a transient
  error, so work must be idempotent).
- `Transactions.attempts()`: for a unit of work written as ordinary code in a `with` block (the ledger's
  posting, app/donations/services/wallet/ledger.py), which `with_transaction` cannot re-run: the same steps
  driven one by one - begin, the block's commands with the session, commit (or abort) - and the whole
  attempt again when the server reports a transient error (a write conflict with a concurrent transaction),
  within the same time limit and with the same backoff as `with_transaction`.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator

from pymongo.errors import OperationFailure, PyMongoError

# as pymongo's with_transaction: retries stop after 120 s, with a jittered backoff from 5 ms to 500 ms
TIME_LIMIT_SECONDS = 120
BACKOFF_INITIAL_SECONDS = 0.005
BACKOFF_MAX_SECONDS = 0.5
_MAX_TIME_EXPIRED = 50  # server error code: the commit's maxTimeMS expired (not worth retrying)


class Transaction:
    """One attempt at the unit of work: `begin()` gives the session every repository call of the attempt
    takes; then `commit()`, or `failed(exc)` when the body raised."""

    def __init__(self, client, *, started: float):
        self._client = client
        self._started = started
        self.session = None
        self.committed = False
        self.again = False  # a transient failure: the unit of work is to be attempted again

    def begin(self):
        self.session = self._client.start_session()
        self.session.start_transaction()
        return self.session

    def commit(self) -> None:
        """Commit, retrying a commit whose outcome is unknown; a transient failure asks for another attempt."""
        try:
            while True:
                try:
                    self.session.commit_transaction()
                    self.committed = True
                    return
                except PyMongoError as exc:
                    if exc.has_error_label("UnknownTransactionCommitResult") and not _max_time_expired(exc):
                        if self._within_time_limit():
                            continue
                    elif exc.has_error_label("TransientTransactionError") and self._within_time_limit():
                        self.again = True
                        return
                    raise
        finally:
            self.session.end_session()

    def abort(self) -> None:
        try:
            if self.session.in_transaction:
                self.session.abort_transaction()
        finally:
            self.session.end_session()

    def failed(self, exc: BaseException) -> bool:
        """Abort after the body raised `exc`; True when the whole attempt is to be made again (a transient
        error such as a write conflict, within the time limit)."""
        self.abort()
        transient = isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")
        self.again = transient and self._within_time_limit()
        return self.again

    def _within_time_limit(self, backoff: float = 0) -> bool:
        return time.monotonic() + backoff - self._started < TIME_LIMIT_SECONDS


def _max_time_expired(exc: PyMongoError) -> bool:
    return isinstance(exc, OperationFailure) and exc.code == _MAX_TIME_EXPIRED


class Transactions:
    """What services get instead of the database."""

    def __init__(self, db):
        self._client = db.client

    def run(self, work, **options):
        """work(session) in one transaction (retried on transient errors; work must be idempotent)."""
        with self._client.start_session() as session:
            return session.with_transaction(work, **options)

    def attempts(self) -> Iterator[Transaction]:
        """Transactions for a unit of work written as a `with` block, attempted until one commits:

            for transaction in transactions.attempts():
                ... transaction.begin() ... transaction.commit() or transaction.failed(exc) ...

        The next attempt comes only when the previous one asked for it (`again`), after a short random
        backoff, as in with_transaction."""
        started = time.monotonic()
        for retry in itertools.count():
            if retry:
                time.sleep(random.random() * min(BACKOFF_INITIAL_SECONDS * (1.5**retry), BACKOFF_MAX_SECONDS))
            transaction = Transaction(self._client, started=started)
            yield transaction
            if not transaction.again:
                return
