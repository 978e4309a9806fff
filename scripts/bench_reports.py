"""Reports at scale: the community reports and the financial dashboard over a year of a large ledger.

    python scripts/bench_reports.py                                  # 1,000,000 entries, embedded secantusd-py
    python scripts/bench_reports.py --ledger 100000 --donations 20000
    python scripts/bench_reports.py --mongo-uri "mongodb://host:27017/?replicaSet=rs0"
    python scripts/bench_reports.py --data-dir instance/bench/data --reuse   # seed once, time again and again

Seeds, straight into the collections (bulk inserts, shaped as the ledger writes them), `--donations` donations
with their `donated` ledger entries (2 % of them refunded) and play credits up to `--ledger` entries in all,
spread over the 12 months before this one, for `--users` donors and 40 ONLUS; then times, in one process
against the same database: the monthly community report of the last full month, the annual report of its
year, and the financial dashboard (month and year, by day and by month). Each figure is the best of
`--repeat` runs of the whole computation (what an admin's request does, without HTTP). Prints one JSON
document; the budget is the monthly report within 10 s on this machine's embedded server.

`--data-dir` keeps the embedded server's files (and the database) after the run; `--reuse` then skips the
seed when the database holds a complete seed of the same size (the months are those of that seed).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402

from app.core.database import EmbeddedMongo, make_client  # noqa: E402

CATEGORIES = ("education", "environment", "health", "animals", "culture")
MONTHLY_BUDGET_SECONDS = 10.0
BATCH = 10_000
SEED_MARK = "bench_seed"  # one document, written once a seed is complete


def month_start(day: datetime) -> datetime:
    return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def seed(db, *, ledger: int, donations: int, users: int, start: datetime, end: datetime, log) -> dict:
    rng = random.Random(7)
    onlus = [{"_id": ObjectId(), "category": CATEGORIES[i % len(CATEGORIES)]} for i in range(40)]
    db["onlus"].insert_many(
        [
            {
                "_id": o["_id"],
                "name": f"Bench ONLUS {i}",
                "category": o["category"],
                "verification_status": "verified",
                "is_active": True,
                "tax_code": f"{90000000000 + i}",
            }
            for i, o in enumerate(onlus)
        ]
    )
    user_ids = [str(ObjectId()) for _ in range(users)]
    span = (end - start).total_seconds()

    def moment() -> datetime:
        return start + timedelta(seconds=rng.random() * span)

    written = {"donations": 0, "ledger": 0}
    entries: list[dict] = []
    docs: list[dict] = []

    def flush(force: bool = False) -> None:
        if docs and (force or len(docs) >= BATCH):
            db["donations"].insert_many(docs, ordered=False)
            written["donations"] += len(docs)
            docs.clear()
        if entries and (force or len(entries) >= BATCH):
            db["transactions"].insert_many(entries, ordered=False)
            written["ledger"] += len(entries)
            entries.clear()

    for i in range(donations):
        at, user, charity = moment(), rng.choice(user_ids), rng.choice(onlus)
        cents = rng.choice((50, 100, 200, 500, 1000, 2500))
        donation_id = ObjectId()
        meta = {
            "donation_id": str(donation_id),
            "onlus_id": str(charity["_id"]),
            "onlus_category": charity["category"],
            "source": "wallet",
        }
        refunded = i % 50 == 0
        docs.append(
            {
                "_id": donation_id,
                "user_id": user,
                "onlus_id": str(charity["_id"]),
                "amount_cents": cents,
                "status": "refunded" if refunded else "completed",
                "source": "wallet",
                "created_at": at,
                "completed_at": at,
            }
        )
        entries.append(_entry(f"donation:{donation_id}", user, "donated", -cents, meta, at, "donation"))
        if refunded:
            later = min(end - timedelta(seconds=1), at + timedelta(days=1))
            entries.append(_entry(f"refund:{donation_id}", user, "refund", cents, meta, later, "donation"))
        flush()
        if (i + 1) % 50_000 == 0:
            log(f"{i + 1} donations")
    credits = max(0, ledger - donations - donations // 50)
    for i in range(credits):
        entries.append(
            _entry(
                f"session:{uuid.uuid4().hex}",
                rng.choice(user_ids),
                "earned",
                rng.randint(1, 30),
                {},
                moment(),
                "session",
            )
        )
        flush()
        if (i + 1) % 200_000 == 0:
            log(f"{i + 1} credits")
    flush(force=True)
    return written


def _entry(key: str, user: str, type_: str, cents: int, meta: dict, at: datetime, kind: str) -> dict:
    return {
        "key": key,
        "user_id": user,
        "type": type_,
        "status": "posted",
        "amount_cents": cents,
        "held_cents": 0,
        "source": {"kind": kind, "id": meta.get("donation_id")},
        "meta": meta,
        "created_at": at,
    }


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def reusable_seed(db, wanted: dict) -> dict | None:
    mark = db[SEED_MARK].find_one({"_id": "seed"})
    if mark and all(mark["config"].get(k) == v for k, v in wanted.items()):
        return mark
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--donations", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--mongo-uri", help="a real MongoDB replica set; default: embedded secantusd-py")
    parser.add_argument("--data-dir", help="the embedded server's files, kept after the run (default: a temporary dir)")
    parser.add_argument("--reuse", action="store_true", help="skip the seed when the database already holds it")
    parser.add_argument("--db-name", help="database name (default: bench_reports when kept, else a fresh one)")
    args = parser.parse_args()
    log = lambda msg: print(f"[bench-reports] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    keep = bool(args.data_dir or args.reuse)
    workdir = ROOT / "instance" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    embedded = None
    uri = args.mongo_uri
    storage = None
    if not uri:
        # on disk: a million documents overflow the in-memory engine's cache
        if args.data_dir:
            storage = str(Path(args.data_dir).resolve())
            server_log = str(Path(storage).parent / f"{Path(storage).name}-secantusd.log")
        else:
            storage = tempfile.mkdtemp(prefix="reports-", dir=workdir)
            server_log = str(workdir / "secantusd-reports.log")
        embedded = EmbeddedMongo(storage, log_path=server_log).start()
        uri = embedded.uri
    name = args.db_name or ("bench_reports" if keep else f"bench_reports_{uuid.uuid4().hex[:8]}")
    client = make_client(uri)
    try:
        from app import create_app
        from app.cli import init_database
        from app.core.infrastructure import EXTENSION

        wanted = {"ledger": args.ledger, "donations": args.donations, "users": args.users}
        mark = reusable_seed(client[name], wanted) if args.reuse else None
        if not mark and name in client.list_database_names():
            log(f"dropping {name}: no complete seed of this size to reuse")
            client.drop_database(name)
        app = create_app({"APP_ENV": "testing", "MONGO_URI": uri, "MONGO_DB_NAME": name, "SEED_DEMO_DATA": False})
        log(f"setting the database up ({name})")
        init_database(app)
        if mark:
            start, end = mark["start"], mark["end"]
            written, seeded_seconds = mark["written"], mark["seed_seconds"]
            log(f"reusing the seed of {mark['seeded_at']:%Y-%m-%d %H:%M} ({written}); timing")
        else:
            now = datetime.now(UTC).replace(tzinfo=None)
            end = month_start(now)
            start = month_start(end - timedelta(days=365))
            started = time.perf_counter()
            written = seed(client[name], **wanted, start=start, end=end, log=log)
            seeded_seconds = round(time.perf_counter() - started, 1)
            client[name][SEED_MARK].replace_one(
                {"_id": "seed"},
                {
                    "config": wanted,
                    "start": start,
                    "end": end,
                    "written": written,
                    "seed_seconds": seeded_seconds,
                    "seeded_at": now,
                },
                upsert=True,
            )
            log(f"seeded {written} in {seeded_seconds}s; timing")
        last = end - timedelta(days=1)
        with app.app_context():
            goodplay = app.extensions[EXTENSION]
            community, financial = goodplay.impact.community, goodplay.donations.financial
            month = best_of(args.repeat, lambda: community.generate_report("monthly", last.year, last.month))
            year = best_of(args.repeat, lambda: community.generate_report("annual", last.year))
            report, _ = community.generate_report("monthly", last.year, last.month)
            first_of_month = month_start(last)
            dash_month = best_of(
                args.repeat, lambda: financial.dashboard(first_of_month, end, granularity="day", refresh=True)
            )
            dash_year = best_of(args.repeat, lambda: financial.dashboard(start, end, granularity="month", refresh=True))
        result = {
            "config": {
                "database": "mongodb (--mongo-uri)" if args.mongo_uri else "embedded secantusd-py",
                "ledger_entries": written["ledger"],
                "donations": written["donations"],
                "users": args.users,
                "months": 12,
                "seed_seconds": seeded_seconds,
                "seed_reused": bool(mark),
                "repeat": args.repeat,
            },
            "seconds": {
                "monthly_report": month,
                "annual_report": year,
                "financial_dashboard_month_by_day": dash_month,
                "financial_dashboard_year_by_month": dash_year,
            },
            "monthly_report_checked": {
                "donation_count": report["donation_count"],
                "total_donations_cents": report["total_donations_cents"],
                "total_donors": report["total_donors"],
            },
            "budgets": {
                "monthly_report_max_seconds": {
                    "budget": MONTHLY_BUDGET_SECONDS,
                    "seen": month,
                    "met": month <= MONTHLY_BUDGET_SECONDS,
                }
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        if not keep:
            client.drop_database(name)
        client.close()
        if embedded:
            embedded.stop()
            if not args.data_dir:
                shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    main()
