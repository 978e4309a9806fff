"""`payment_intents`: one per card donation attempt; its state only moves forward (models/payments/intent.py)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.ids import new_object_id, object_id
from app.donations.models.payments.intent import (
    CANCELED,
    FAILED,
    HISTORY_KEPT,
    MOVES_FROM,
    PROCESSING,
    REFUNDED,
    REQUIRES_PM,
    SUCCEEDED,
)


class IntentIdempotencyKeyTaken(Exception):
    """The user already created an intent with this idempotency key."""


class PaymentIntentRepository:
    def __init__(self, db):
        self.collection = db["payment_intents"]

    def create_indexes(self) -> None:
        self.collection.create_index(
            [("provider_intent_id", ASCENDING)],
            unique=True,
            partialFilterExpression={"provider_intent_id": {"$type": "string"}},
        )
        self.collection.create_index(
            [("user_id", ASCENDING), ("idempotency_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        )
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("client_ip", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])

    @staticmethod
    def new_id():
        """The id of an intent about to be created (the donation it completes will carry the same id)."""
        return new_object_id()

    def insert(self, doc: dict) -> dict:
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise IntentIdempotencyKeyTaken(doc.get("idempotency_key")) from exc
        return doc

    # -- reads -----------------------------------------------------------------------
    def by_id(self, intent_id, *, session=None) -> dict | None:
        oid = object_id(intent_id)
        return self.collection.find_one({"_id": oid}, session=session) if oid else None

    def by_provider_id(self, provider_intent_id: str) -> dict | None:
        return self.collection.find_one({"provider_intent_id": provider_intent_id})

    def by_idempotency_key(self, user_id: str, key: str) -> dict | None:
        return self.collection.find_one({"user_id": user_id, "idempotency_key": key})

    def page(self, *, skip: int, limit: int, user_id: str | None = None, status: str | None = None) -> tuple[list, int]:
        query: dict = {}
        if user_id:
            query["user_id"] = user_id
        if status:
            query["status"] = status
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def updated_since(self, since: datetime) -> list[dict]:
        """The intents that changed since then (reconciliation against the provider)."""
        return list(self.collection.find({"updated_at": {"$gte": since}}))

    def created_since(self, since: datetime, *, user_id: str | None = None, client_ip: str | None = None) -> int:
        """Intents created since then by the user or from the address (payment velocity)."""
        return self._count_since("created_at", since, user_id=user_id, client_ip=client_ip)

    def failed_since(self, since: datetime, *, user_id: str | None = None, client_ip: str | None = None) -> int:
        """Intents whose last decline was since then, by the user or from the address (card testing)."""
        return self._count_since("last_failed_at", since, user_id=user_id, client_ip=client_ip)

    def _count_since(self, field: str, since: datetime, *, user_id: str | None, client_ip: str | None) -> int:
        query: dict = {field: {"$gte": since}}
        if user_id:
            query["user_id"] = user_id
        if client_ip:
            query["client_ip"] = client_ip
        return self.collection.count_documents(query)

    # -- the provider's side -------------------------------------------------------------
    def set_provider_intent(self, intent_id, *, provider_intent_id: str, client_secret: str | None, at: datetime):
        """The provider created its side of the intent."""
        return self.collection.find_one_and_update(
            {"_id": object_id(intent_id)},
            {"$set": {"provider_intent_id": provider_intent_id, "client_secret": client_secret, "updated_at": at}},
            return_document=ReturnDocument.AFTER,
        )

    # -- state moves (guarded: None when the intent is no longer where the move starts from) ---------
    def await_payment_method(self, intent_id, *, at: datetime) -> dict | None:
        """created -> requires_payment_method, once the provider has the intent."""
        return self._move(intent_id, REQUIRES_PM, fields={}, history={"via": "provider"}, at=at)

    def provider_unavailable(self, intent_id, *, message: str, at: datetime) -> dict | None:
        """The provider could not create its side: the intent fails at once."""
        return self._move(
            intent_id,
            FAILED,
            fields={"last_error": "provider_unavailable", "updated_at": at},
            history={"via": "create", "error": message},
            at=at,
        )

    def mark_processing(self, intent_id, *, via: str, at: datetime) -> dict | None:
        return self._move(intent_id, PROCESSING, fields=self._reached(PROCESSING, at), history={"via": via}, at=at)

    def mark_canceled(self, intent_id, *, via: str, at: datetime) -> dict | None:
        return self._move(intent_id, CANCELED, fields=self._reached(CANCELED, at), history={"via": via}, at=at)

    def mark_failed(self, intent_id, *, error: str, via: str, at: datetime) -> dict | None:
        """A declined attempt (the intent stays open: another attempt may succeed)."""
        fields = {**self._reached(FAILED, at), "last_error": error, "last_failed_at": at}
        return self._move(intent_id, FAILED, fields=fields, history={"via": via}, at=at)

    def mark_succeeded(self, intent_id, *, donation_id: str, via: str, at: datetime, session) -> dict | None:
        """Paid: inside the transaction that writes the donation."""
        fields = {**self._reached(SUCCEEDED, at), "donation_id": donation_id}
        return self._move(intent_id, SUCCEEDED, fields=fields, history={"via": via}, at=at, session=session)

    def mark_refunded(self, intent_id, *, provider_refund: dict, via: str, at: datetime) -> dict | None:
        fields = {**self._reached(REFUNDED, at), "provider_refund": provider_refund}
        return self._move(intent_id, REFUNDED, fields=fields, history={"via": via}, at=at)

    @staticmethod
    def _reached(status: str, at: datetime) -> dict:
        return {"updated_at": at, f"{status}_at": at}

    def _move(self, intent_id, status: str, *, fields: dict, history: dict, at: datetime, session=None):
        return self.collection.find_one_and_update(
            {"_id": object_id(intent_id), "status": {"$in": list(MOVES_FROM[status])}},
            {"$set": {"status": status, **fields}, "$push": self._history({"status": status, "at": at, **history})},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    # -- facts that do not move the state ------------------------------------------------------
    def record_dispute(self, intent_id, dispute: dict, *, at: datetime) -> None:
        self._note(intent_id, {"dispute": dispute, "updated_at": at}, {"event": "dispute", "at": at, "via": "webhook"})

    def record_partial_refund(self, intent_id, amount_cents: int, *, at: datetime) -> None:
        self._note(
            intent_id,
            {"partial_refund_cents": amount_cents, "updated_at": at},
            {"event": "partial_refund", "at": at, "amount_cents": amount_cents},
        )

    def record_provider_refund(self, intent_id, refund: dict, *, at: datetime) -> None:
        """The provider sent the money back to the card."""
        self._note(intent_id, {"provider_refund": refund}, {"event": "refund", "at": at})

    def record_provider_refund_failure(self, intent_id, error: str, *, at: datetime) -> None:
        """Sending the money back failed (reconciliation reports it; an admin retries)."""
        self._note(
            intent_id,
            {"provider_refund": {"status": "failed", "error": error, "at": at}, "updated_at": at},
            {"event": "refund_failed", "at": at},
        )

    def _note(self, intent_id, fields: dict, history: dict) -> None:
        self.collection.update_one({"_id": object_id(intent_id)}, {"$set": fields, "$push": self._history(history)})

    @staticmethod
    def _history(entry: dict) -> dict:
        return {"history": {"$each": [entry], "$slice": -HISTORY_KEPT}}
