from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, DeleteOne, UpdateOne

from app.core.clock import utcnow
from app.core.database import shard_of as _shard
from app.core.transactions import Transactions
from app.social.models import ranking


def int_range(low: int | None = None, high: int | None = None) -> dict:
    """An inclusive integer range written with exclusive bounds ($gt low-1, $lt high+1).

    Same meaning for integer scores and blocks; it also sidesteps a quirk of the embedded server
    (secantusd-py 0.7), whose index scans drop an inclusive bound at the far end of the scan."""
    rng = {}
    if low is not None:
        rng["$gt"] = int(low) - 1
    if high is not None:
        rng["$lt"] = int(high) + 1
    return rng


# A score change moves an entry inside its leaf node, which every user with a similar score shares: in
# one document, concurrent handler transactions of different users would conflict on it and be retried.
# So each leaf is split into SHARDS documents, a user always counting in the same one, and reads add the
# shards up. Upper nodes change only when an entry is created or crosses a multiple of 2**BITS; they stay
# one document each, which keeps a rank read to a few documents.
SHARDS = 16
# Boards kept in the previous layout (7 levels of 64, every node sharded) are moved at start-up
# (LeaderboardRepository.migrate).
TREE, PREVIOUS_TREE = "leaderboard_tree", "leaderboard_counts"
PREVIOUS_ENTRY_INDEX = "board_1_period_1_user_id_1"  # entries are keyed by entry_id() now


def entry_id(board: str, period: str, user_id: str) -> str:
    """An entry's key: reading or writing a user's entries is then a lookup by _id."""
    return f"{board}|{period}|{user_id}"


def _tree_changes(moves: dict) -> list[tuple]:
    """[(board, period, level, parent, child, delta)] moving entries {(board, period): (old, new)} in the
    count trees (None: no entry)."""
    return [
        (board, period, *change)
        for (board, period), (old, new) in moves.items()
        for change in ranking.counter_changes(old, new)
    ]


def shard_of(user_id: str) -> int:
    return _shard(user_id, SHARDS)


def node_id(board: str, period: str, level: int, parent: int, shard: int) -> str:
    """The document holding `shard`'s counters of a node (upper nodes have one document for all)."""
    base = f"{board}|{period}|{level}|{parent}"
    return f"{base}|{shard}" if level == 0 else base


def node_ids(board: str, period: str, level: int, parent: int) -> list[str]:
    """Every document that holds counters of this node."""
    return [node_id(board, period, level, parent, s) for s in (range(SHARDS) if level == 0 else (0,))]


class CountTree:
    """Read side of one board's counting trie (see app.social.models.ranking), caching the nodes
    it has fetched for the duration of one leaderboard read."""

    def __init__(self, collection, board: str, period: str):
        self.collection, self.board, self.period = collection, board, period
        self.nodes: dict[tuple[int, int], dict[int, int]] = {}

    def _load(self, keys) -> None:
        missing = [k for k in keys if k not in self.nodes]
        if not missing:
            return
        ids = {i: k for k in missing for i in node_ids(self.board, self.period, *k)}
        for k in missing:
            self.nodes[k] = {}
        for doc in self.collection.find({"_id": {"$in": list(ids)}}, {"c": 1}):
            counters = self.nodes[ids[doc["_id"]]]
            for c, n in (doc.get("c") or {}).items():
                if n:
                    counters[int(c)] = counters.get(int(c), 0) + int(n)

    def prefetch(self, scores=()) -> None:
        """Load in one query the nodes a read will most likely need: those on the paths of `scores` and
        the leftmost spine (every node a walk from the root visits while the scores are small)."""
        keys = {(level, 0) for level in range(ranking.LEVELS)}
        for score in scores:
            keys.update(ranking.nodes_of(score))
        self._load(sorted(keys))

    def count_above(self, score: int) -> int:
        """Entries scoring strictly more than `score` (opted-out users included)."""
        self._load(ranking.nodes_of(score))
        return ranking.count_above(self.nodes, score)

    def count_at(self, score: int) -> int:
        level, parent, child = ranking.path(score)[0]
        self._load([(level, parent)])
        return self.nodes[(level, parent)].get(child, 0)

    def total(self) -> int:
        self._load([ranking.ROOT])
        return sum(self.nodes[ranking.ROOT].values())

    def score_at(self, position: int) -> int | None:
        """The score of the entry at `position` (1 = best); None when there are fewer entries."""
        if position < 1:
            return None
        level, parent = ranking.ROOT
        while True:
            self._load([(level, parent)])
            child, position = ranking.pick(self.nodes[(level, parent)], position)
            if child is None:
                return None
            value = (parent << ranking.BITS) | child
            if level == 0:
                return value
            level, parent = level - 1, value


class LeaderboardRepository:
    """leaderboard_entries: one document per (board, period, user) with its score.
    leaderboard_tree: the tree of counts per (board, period) that answers rank and position
    questions in a bounded number of reads (see app.social.models.ranking).

    board: 'impact_score' | 'gaming' | 'donations' | 'game:<game_id>'; period: 'daily:2026-11-21', ...
    """

    def __init__(self, db):
        self.db = db
        self.entries = db["leaderboard_entries"]
        self.counts = db[TREE]
        self.winners = db["leaderboard_winners"]

    def create_indexes(self) -> None:
        self.entries.create_index(
            [("board", ASCENDING), ("period", ASCENDING), ("score", DESCENDING), ("user_id", ASCENDING)]
        )
        self.counts.create_index([("board", ASCENDING), ("period", ASCENDING)])
        self.winners.create_index([("period", ASCENDING), ("board", ASCENDING), ("user_id", ASCENDING)], unique=True)
        self.entries.create_index([("user_id", ASCENDING)])  # a deleted account's entries

    # -- writes (inside the handler's transaction) ---------------------------------------
    def scores_of(self, user_id: str, keys, *, session=None) -> dict[tuple[str, str], int]:
        """The user's current scores on these (board, period) pairs, in one read (absent: no entry)."""
        ids = [entry_id(board, period, user_id) for board, period in keys]
        return {
            (doc["board"], doc["period"]): int(doc["score"])
            for doc in self.entries.find(
                {"_id": {"$in": ids}}, {"_id": 0, "board": 1, "period": 1, "score": 1}, session=session
            )
        }

    def scores_of_many(self, keys_by_user: dict[str, set], *, session=None) -> dict[str, dict[tuple[str, str], int]]:
        """scores_of() for several users in one read: {user_id: {(board, period): score}}."""
        ids = [entry_id(board, period, user_id) for user_id, keys in keys_by_user.items() for board, period in keys]
        found: dict[str, dict[tuple[str, str], int]] = {user_id: {} for user_id in keys_by_user}
        if ids:
            for doc in self.entries.find(
                {"_id": {"$in": ids}}, {"_id": 0, "board": 1, "period": 1, "score": 1, "user_id": 1}, session=session
            ):
                found.setdefault(doc["user_id"], {})[(doc["board"], doc["period"])] = int(doc["score"])
        return found

    def move_entries(self, user_id: str, moves: dict, *, session=None) -> None:
        """Write the user's new scores {(board, period): (old, new)} (new None: the entry goes) and move them in
        the count trees: one write of the entries, one of the count nodes."""
        self.move_entries_many([(user_id, moves)], session=session)

    def move_entries_many(self, moves_by_user: list[tuple[str, dict]], *, session=None) -> None:
        """move_entries() for several users (in order; a user may come twice): one write of the entries and
        one of the count nodes for them all."""
        now = utcnow()
        ops = [
            DeleteOne({"_id": entry_id(board, period, user_id)})
            if new is None
            else UpdateOne(
                {"_id": entry_id(board, period, user_id)},
                {
                    "$set": {"score": new, "updated_at": now},
                    "$setOnInsert": {"board": board, "period": period, "user_id": user_id},
                },
                upsert=True,
            )
            for user_id, moves in moves_by_user
            for (board, period), (_, new) in moves.items()
        ]
        if not ops:
            return
        self.entries.bulk_write(ops, ordered=True, session=session)
        self.write_counts_many([(_tree_changes(moves), shard_of(user_id)) for user_id, moves in moves_by_user], session)

    def remove_user(self, user_id: str) -> int:
        """Take the user off every board and period, entries and their counts in one transaction (a
        concurrent score change conflicts with it and is retried); how many entries went."""

        def txn(session) -> int:
            rows = list(self.entries.find({"user_id": user_id}, {"board": 1, "period": 1, "score": 1}, session=session))
            if rows:
                self.entries.delete_many({"_id": {"$in": [r["_id"] for r in rows]}}, session=session)
                moves = {(r["board"], r["period"]): (int(r["score"]), None) for r in rows}
                self.write_counts(_tree_changes(moves), user_id, session=session)
            return len(rows)

        return Transactions(self.db).run(txn)

    def remove_entry(self, board: str, period: str, user_id: str) -> int | None:
        """Take the user off one board and period, the entry and its count in one transaction; the score it
        had (None: there was no entry)."""

        def txn(session) -> int | None:
            doc = self.entries.find_one({"_id": entry_id(board, period, user_id)}, {"score": 1}, session=session)
            if doc is None:
                return None
            self.entries.delete_one({"_id": doc["_id"]}, session=session)
            self.write_counts(_tree_changes({(board, period): (int(doc["score"]), None)}), user_id, session=session)
            return int(doc["score"])

        return Transactions(self.db).run(txn)

    def write_counts(self, changes, user_id: str, *, session=None) -> None:
        """Apply [(board, period, level, parent, child, delta)] to the user's shard: one upsert per node document."""
        self._write_counts(changes, shard_of(user_id), session)

    def _write_counts(self, changes, shard: int, session) -> None:
        self.write_counts_many([(changes, shard)], session)

    def write_counts_many(self, changes_by_shard: list[tuple[list, int]], session) -> None:
        nodes: dict[str, dict] = {}
        for changes, shard in changes_by_shard:
            for board, period, level, parent, child, delta in changes:
                _id = node_id(board, period, level, parent, shard)
                node = nodes.setdefault(
                    _id, {"key": {"board": board, "period": period, "level": level, "parent": parent}, "inc": {}}
                )
                node["inc"][f"c.{child}"] = node["inc"].get(f"c.{child}", 0) + delta
        ops = [
            UpdateOne({"_id": _id}, {"$inc": inc, "$setOnInsert": node["key"]}, upsert=True)
            for _id, node in sorted(nodes.items())
            if (inc := {k: v for k, v in node["inc"].items() if v})
        ]
        if ops:
            self.counts.bulk_write(ops, ordered=True, session=session)

    # -- the previous layout -----------------------------------------------------------------
    def migrate(self) -> int:
        """Move boards kept in the previous layout (entries keyed by ObjectId, trees of 7 levels of 64 in
        `leaderboard_counts`) to this one, then drop what is left of it. Returns the number of boards
        moved. Each board moves in one transaction, so running it again after a crash midway is safe."""
        if PREVIOUS_TREE not in self.db.list_collection_names():
            return 0
        pairs = {
            (doc["_id"]["board"], doc["_id"]["period"])
            for doc in self.entries.aggregate([{"$group": {"_id": {"board": "$board", "period": "$period"}}}])
        }
        for board, period in sorted(pairs):
            self.rebuild(board, period)
        if PREVIOUS_ENTRY_INDEX in self.entries.index_information():
            self.entries.drop_index(PREVIOUS_ENTRY_INDEX)
        self.db.drop_collection(PREVIOUS_TREE)
        return len(pairs)

    def rebuild(self, board: str, period: str) -> None:
        """Recount one board's tree from its entries (rekeying entries of the previous layout), in one
        transaction: a concurrent score change conflicts with it and is retried, so none is lost."""

        def txn(session):
            self.counts.delete_many({"board": board, "period": period}, session=session)
            by_shard: dict[int, list] = {}
            for doc in list(self.entries.find({"board": board, "period": period}, session=session)):
                key = entry_id(board, period, doc["user_id"])
                if doc["_id"] != key:
                    self.entries.delete_one({"_id": doc["_id"]}, session=session)
                    self.entries.insert_one({**doc, "_id": key}, session=session)
                by_shard.setdefault(shard_of(doc["user_id"]), []).extend(
                    (board, period, *step, 1) for step in ranking.path(int(doc["score"]))
                )
            for shard, changes in sorted(by_shard.items()):
                self._write_counts(changes, shard, session)

        Transactions(self.db).run(txn)

    # -- reads -------------------------------------------------------------------------
    def entry(self, board: str, period: str, user_id: str) -> dict | None:
        return self.entries.find_one({"_id": entry_id(board, period, user_id)})

    def entries_of(self, board: str, period: str, user_ids) -> list[dict]:
        ids = list(user_ids)
        if not ids:
            return []
        return list(
            self.entries.find(
                {"_id": {"$in": [entry_id(board, period, u) for u in ids]}}, {"_id": 0, "user_id": 1, "score": 1}
            )
        )

    def tree(self, board: str, period: str) -> CountTree:
        return CountTree(self.counts, board, period)

    def band(
        self,
        board: str,
        period: str,
        *,
        low: int | None = None,
        high: int | None = None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
        exclude=(),
        limit: int = 100,
        best_first: bool = True,
    ) -> list[dict]:
        """Up to `limit` entries with a score inside [low, high] and a user not in `exclude`,
        best first (score desc, user_id asc) or the reverse.

        The exclusion is applied here rather than in the query: with a `$nin` the embedded server's
        planner falls back to a collection scan; the bounded band keeps the extra rows few."""
        if low is not None and not low_inclusive:
            low += 1
        if high is not None and not high_inclusive:
            high -= 1
        query: dict = {"board": board, "period": period}
        score = int_range(low, high)
        if score:
            query["score"] = score
        order = (
            [("score", DESCENDING), ("user_id", ASCENDING)]
            if best_first
            else [("score", ASCENDING), ("user_id", DESCENDING)]
        )
        return self._take(
            self.entries.find(query, {"_id": 0, "user_id": 1, "score": 1}).sort(order).limit(limit + len(exclude)),
            exclude,
            limit,
        )

    def ties(
        self, board: str, period: str, score: int, user_id: str, *, before: bool, exclude=(), limit: int = 10
    ) -> list[dict]:
        """Entries with exactly `score` ordered just before (user_id smaller) or after `user_id`."""
        rows = (
            self.entries.find(
                {
                    "board": board,
                    "period": period,
                    "score": score,
                    "user_id": {"$lt": user_id} if before else {"$gt": user_id},
                },
                {"_id": 0, "user_id": 1, "score": 1},
            )
            .sort("user_id", DESCENDING if before else ASCENDING)
            .limit(limit + len(exclude))
        )
        return self._take(rows, exclude, limit)

    @staticmethod
    def _take(rows, exclude, limit: int) -> list[dict]:
        skip = set(exclude)
        out = []
        for row in rows:
            if row["user_id"] in skip:
                continue
            out.append(row)
            if len(out) == limit:
                break
        return out

    # -- weekly winners -------------------------------------------------------------------
    def save_winners(self, period: str, winners: list[dict]) -> None:
        now = utcnow()
        for w in winners:
            self.winners.update_one(
                {"period": period, "board": w["leaderboard"], "user_id": w["user_id"]},
                {"$setOnInsert": {"rank": w["rank"], "score": w["score"], "created_at": now}},
                upsert=True,
            )

    def winners_of(self, period: str) -> list[dict]:
        return list(self.winners.find({"period": period}, {"_id": 0}).sort([("board", 1), ("rank", 1)]))
