"""A bare Flask + pymongo app doing the minimal database work of each endpoint of the benchmark's core loop.

It is the yardstick of scripts/benchmark.py: same gunicorn settings, same database server, same HTTP
paths and bodies, none of GoodPlay's layers (schemas, envelope, hook outbox, ledger transactions, social
scoring, impact tracking). Run standalone: `BASELINE_MONGO_URI=... gunicorn 'scripts.bench_baseline:create_app()'`.

Per request it issues: login 1 (find user; Argon2 verify with the same default parameters), start 1 (insert),
end 3 (guarded session update, wallet $inc, ledger insert), wallet 1, donate 2 (guarded wallet update,
donation insert), leaderboard 1 (top 10), impact summary 1 (one totals document).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from bson import ObjectId
from flask import Flask, jsonify, request
from pymongo import DESCENDING, MongoClient, ReturnDocument

SECRET = "baseline-secret-baseline-secret-0123456789"


def create_app(mongo_uri: str | None = None, db_name: str | None = None) -> Flask:
    app = Flask(__name__)
    client = MongoClient(mongo_uri or os.environ["BASELINE_MONGO_URI"], tz_aware=False)
    db = client[db_name or os.environ.get("BASELINE_DB_NAME", "goodplay_baseline")]
    hasher = PasswordHasher()
    app.extensions["baseline_db"] = db

    def user_id() -> str | None:
        header = request.headers.get("Authorization", "")
        try:
            return jwt.decode(header[7:], SECRET, algorithms=["HS256"])["sub"]
        except jwt.PyJWTError:
            return None

    def unauthorized():
        return jsonify(success=False, message="UNAUTHORIZED"), 401

    @app.post("/api/auth/login")
    def login():
        body = request.get_json()
        user = db.users.find_one({"email": body["email"].lower()})
        try:
            hasher.verify(user["password_hash"], body["password"]) if user else None
        except VerificationError:
            user = None
        if not user:
            return jsonify(success=False, message="INVALID_CREDENTIALS"), 401
        token = jwt.encode({"sub": user["_id"], "jti": uuid.uuid4().hex}, SECRET, algorithm="HS256")
        return jsonify(success=True, data={"access_token": token, "user": {"id": user["_id"]}})

    @app.post("/api/games/sessions")
    def start():
        uid = user_id()
        if not uid:
            return unauthorized()
        doc = {
            "user_id": uid,
            "game_id": request.get_json()["game_id"],
            "status": "active",
            "started_at": datetime.now(UTC).replace(tzinfo=None),
        }
        db.game_sessions.insert_one(doc)
        return jsonify(success=True, data={"id": str(doc["_id"]), "status": "active"}), 201

    @app.post("/api/games/sessions/<sid>/end")
    def end(sid):
        uid = user_id()
        if not uid:
            return unauthorized()
        doc = db.game_sessions.find_one_and_update(
            {"_id": ObjectId(sid), "user_id": uid, "status": "active"},
            {"$set": {"status": "completed", "final_score": request.get_json()["final_score"]}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return jsonify(success=False, message="SESSION_NOT_FOUND"), 404
        db.wallets.update_one({"_id": uid}, {"$inc": {"balance_cents": 0, "total_earned_cents": 0}}, upsert=True)
        db.transactions.insert_one({"user_id": uid, "key": f"session:{sid}", "amount_cents": 0})
        return jsonify(success=True, data={"session": {"id": sid, "status": "completed"}, "credits_earned": 0})

    @app.get("/api/wallet")
    def wallet():
        uid = user_id()
        if not uid:
            return unauthorized()
        w = db.wallets.find_one({"_id": uid}) or {}
        return jsonify(success=True, data={"balance": w.get("balance_cents", 0) / 100, "currency": "EUR"})

    @app.post("/api/donations/process")
    def donate():
        uid = user_id()
        if not uid:
            return unauthorized()
        body = request.get_json()
        cents = int(round(float(body["amount"]) * 100))
        w = db.wallets.find_one_and_update(
            {"_id": uid, "balance_cents": {"$gte": cents}},
            {"$inc": {"balance_cents": -cents, "total_donated_cents": cents}},
        )
        if w is None:
            return jsonify(success=False, message="INSUFFICIENT_BALANCE"), 409
        doc = {"user_id": uid, "onlus_id": body["onlus_id"], "amount_cents": cents, "status": "completed"}
        db.donations.insert_one(doc)
        return jsonify(success=True, data={"id": str(doc["_id"]), "status": "completed"}), 201

    @app.get("/api/social/leaderboards/<board>")
    def leaderboard(board):
        if not user_id():
            return unauthorized()
        rows = db.scores.find({}, {"score": 1}).sort("score", DESCENDING).limit(10)
        return jsonify(
            success=True, data={"entries": [{"user_id": r["_id"], "score": r.get("score", 0)} for r in rows]}
        )

    @app.get("/api/impact/user/<uid>")
    def impact(uid):
        if not user_id():
            return unauthorized()
        totals = db.impact_totals.find_one({"_id": uid}) or {}
        return jsonify(success=True, data={"total_donated": totals.get("donated_cents", 0) / 100})

    return app


def seed(db, users: list[dict], balance_cents: int) -> None:
    """users: [{id, email, password_hash}] -> users, funded wallets, scores, impact totals."""
    db.users.create_index("email", unique=True)
    db.scores.create_index([("score", DESCENDING)])
    db.users.insert_many([{"_id": u["id"], "email": u["email"], "password_hash": u["password_hash"]} for u in users])
    db.wallets.insert_many(
        [
            {
                "_id": u["id"],
                "balance_cents": balance_cents,
                "total_earned_cents": balance_cents,
                "total_donated_cents": 0,
            }
            for u in users
        ]
    )
    db.scores.insert_many([{"_id": u["id"], "score": i} for i, u in enumerate(users)])
    db.impact_totals.insert_many([{"_id": u["id"], "donated_cents": 0} for u in users])
