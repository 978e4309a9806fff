"""Measure a global leaderboard read at N users (default 100,000) on the embedded server or MONGO_URI.

    python scripts/bench_leaderboard.py [--users 100000] [--hidden 100] [--repeat 5]

Seeds `leaderboard_entries` and the matching `leaderboard_tree` directly (one board, one period),
then times LeaderboardService.read() (top 10 + my rank + 2 around me) for users at the top, middle and
bottom, prints how many index keys / documents each underlying query examined (explain), and, for
comparison, the naive `count_documents({score > mine})` rank query. Not a test: figures vary by machine.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.database import EmbeddedMongo, make_client
from app.core.hooks import HookManager
from app.social.models import ranking
from app.social.repositories.leaderboards import LeaderboardRepository, entry_id, int_range, node_id, node_ids, shard_of
from app.social.services.leaderboards import LeaderboardService

BOARD, PERIOD = "gaming", "all_time"


class Directory:
    """What a global leaderboard read asks of the other modules: display names and the opted-out users."""

    def __init__(self, hidden: set[str]):
        self.hidden = hidden

    def get_game(self, game_id):
        return {"id": game_id}

    def display_names(self, ids):
        return {i: f"User {i[-5:]}" for i in ids}

    def hidden_from_leaderboards(self, ids=None):
        return self.hidden if ids is None else self.hidden & set(ids)


def seed(db, users: int, rng: random.Random) -> list[tuple[str, int]]:
    # long-tailed like real play totals, with natural ties
    rows = [(f"u{i:07d}", int((rng.paretovariate(1.2) - 1) * 5000) % 5_000_000) for i in range(users)]
    entries = [
        {"_id": entry_id(BOARD, PERIOD, u), "board": BOARD, "period": PERIOD, "user_id": u, "score": s} for u, s in rows
    ]
    for i in range(0, len(entries), 10_000):
        db.leaderboard_entries.insert_many(entries[i : i + 10_000], ordered=False)
    nodes: dict = defaultdict(Counter)
    for u, s in rows:
        for level, parent, child in ranking.path(s):
            nodes[(level, parent, node_id(BOARD, PERIOD, level, parent, shard_of(u)))][str(child)] += 1
    db.leaderboard_tree.insert_many(
        [
            {"_id": _id, "board": BOARD, "period": PERIOD, "level": lv, "parent": parent, "c": dict(c)}
            for (lv, parent, _id), c in nodes.items()
        ]
    )
    return rows


def explain(db, collection: str, query: dict, sort=None, limit=0) -> str:
    cmd = {"find": collection, "filter": query}
    if sort:
        cmd["sort"] = sort
    if limit:
        cmd["limit"] = limit
    out = db.command("explain", cmd, verbosity="executionStats")
    stats = out["executionStats"]
    plan = out["queryPlanner"]["winningPlan"]
    stages = []
    while plan:
        stages.append(plan["stage"] + (f"({plan.get('indexName')})" if plan.get("indexName") else ""))
        plan = plan.get("inputStage")
    return (
        f"{' <- '.join(stages)}  keys={stats['totalKeysExamined']} docs={stats['totalDocsExamined']} "
        f"returned={stats['nReturned']}"
    )


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--hidden", type=int, default=100, help="users opted out of public leaderboards")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()

    server = None if args.mongo_uri else EmbeddedMongo(":memory:").start()
    client = make_client(args.mongo_uri or server.uri)
    db = client["bench_leaderboard"]
    client.drop_database(db.name)
    try:
        repo = LeaderboardRepository(db)
        repo.create_indexes()
        rng = random.Random(42)
        t0 = time.perf_counter()
        rows = seed(db, args.users, rng)
        print(
            f"seeded {args.users:,} entries + {db.leaderboard_tree.estimated_document_count():,} count "
            f"documents in {time.perf_counter() - t0:.1f}s"
        )
        ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
        hidden = {u for u, _ in rng.sample(rows, args.hidden)}
        directory = Directory(hidden)
        service = LeaderboardService(
            repo,
            users=directory,
            preferences=directory,
            games=directory,
            hooks=HookManager(db, logging.getLogger("bench")),  # reads publish nothing
            friend_ids=lambda u: [],
        )

        print(f"\nLeaderboardService.read(limit=10, around=2), {args.hidden} opted-out users, median of {args.repeat}:")
        for label, index in (("top user", 0), ("middle user", len(ordered) // 2), ("bottom user", len(ordered) - 1)):
            user_id, score = ordered[index]
            ms, data = timed(lambda u=user_id: service.read(u, BOARD, period="all_time"), args.repeat)
            truth = 1 + sum(1 for u, s in rows if s > score and u not in hidden - {user_id})
            assert data["me"]["rank"] == truth, (data["me"], truth)
            print(
                f"  {label:12s} score={score:>9,} rank={data['me']['rank']:>7,} (checked)  {ms:7.1f} ms  "
                f"top={[e['score'] for e in data['entries'][:3]]}... around={[e['rank'] for e in data['around_me']]}"
            )

        user_id, score = ordered[len(ordered) // 2]
        floor = repo.tree(BOARD, PERIOD).score_at(10 + len(hidden))
        print("\nexplain (middle user):")
        print(
            "  top-N band     ",
            explain(
                db,
                "leaderboard_entries",
                {"board": BOARD, "period": PERIOD, "score": int_range(floor)},
                {"score": -1, "user_id": 1},
                10 + len(hidden),
            ),
        )
        print(
            "  rank (trie)    ",
            explain(
                db,
                "leaderboard_tree",
                {"_id": {"$in": [i for k in ranking.nodes_of(score) for i in node_ids(BOARD, PERIOD, *k)]}},
            ),
        )
        print(
            "  ties before me ",
            explain(
                db,
                "leaderboard_entries",
                {"board": BOARD, "period": PERIOD, "score": score, "user_id": {"$lt": user_id}},
                {"user_id": -1},
                2,
            ),
        )
        print("  my entry       ", explain(db, "leaderboard_entries", {"_id": entry_id(BOARD, PERIOD, user_id)}))

        ms, naive = timed(
            lambda: db.leaderboard_entries.count_documents({"board": BOARD, "period": PERIOD, "score": {"$gt": score}}),
            max(1, args.repeat // 2),
        )
        print(
            f"\nfor comparison, naive rank count_documents(score > mine) for the middle user: {ms:.1f} ms "
            f"({naive:,} keys counted)"
        )
        print(
            "  naive count    ",
            explain(db, "leaderboard_entries", {"board": BOARD, "period": PERIOD, "score": {"$gt": score}}),
        )
    finally:
        client.drop_database(db.name)
        client.close()
        if server:
            server.stop()


if __name__ == "__main__":
    main()
