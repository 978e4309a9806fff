"""Pure rules of the social module: the counting trie, periods, Impact Score weights, achievements."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from app.social.models import impact, ranking
from app.social.models.achievements import DEFAULT_ACHIEVEMENTS, METRICS, is_met, progress_of
from app.social.models.periods import parse_period_key, period_key, period_keys, previous_week
from app.social.models.relationships import pair_key


class MemoryTrie:
    """The trie's counters kept in a dict, updated exactly as the repository does."""

    def __init__(self):
        self.nodes = defaultdict(Counter)

    def move(self, old, new):
        for level, parent, child, delta in ranking.counter_changes(old, new):
            self.nodes[(level, parent)][child] += delta

    def score_at(self, position):
        level, parent = ranking.ROOT
        while True:
            child, position = ranking.pick(dict(self.nodes[(level, parent)]), position)
            if child is None:
                return None
            value = (parent << ranking.BITS) | child
            if level == 0:
                return value
            level, parent = level - 1, value


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trie_answers_rank_and_position_like_a_full_sort(seed):
    rng = random.Random(seed)
    trie, scores = MemoryTrie(), {}
    for _ in range(600):
        user = rng.randrange(80)
        new = rng.choice([rng.randrange(50), rng.randrange(10**7), 0, 4095, 4096])
        trie.move(scores.get(user), new)
        scores[user] = new
    ordered = sorted(scores.values(), reverse=True)
    for probe in set(ordered) | {0, 1, 63, 64, 10**7 + 5}:
        assert ranking.count_above(trie.nodes, probe) == sum(1 for s in ordered if s > probe)
    for position in range(1, len(ordered) + 2):
        expected = ordered[position - 1] if position <= len(ordered) else None
        assert trie.score_at(position) == expected


def test_trie_moves_touch_few_counters_and_cancel_out():
    assert ranking.counter_changes(5, 5) == []
    small_move = ranking.counter_changes(100, 110)
    assert len(small_move) == 2  # same level-1 node, only the leaf counter moves
    assert sum(d for *_, d in ranking.counter_changes(None, 123456)) == ranking.LEVELS
    assert len(ranking.counter_changes(0, ranking.MAX_SCORE)) <= 2 * ranking.LEVELS
    assert ranking.clamp(-5) == 0 and ranking.clamp(10**20) == ranking.MAX_SCORE


def test_period_keys_put_the_period_in_the_key():
    at = datetime(2026, 11, 21, 10, 0)
    assert period_keys(at) == ["daily:2026-11-21", "weekly:2026-W47", "monthly:2026-11", "all_time"]
    assert period_key("weekly", datetime(2027, 1, 1)) == "weekly:2026-W53"
    assert previous_week(datetime(2026, 11, 23, 0, 5)) == ("2026-W47", datetime(2026, 11, 23))
    assert parse_period_key("weekly", "2026-W47") == "weekly:2026-W47"
    assert parse_period_key("daily", "2026-11-21") == "daily:2026-11-21"
    for period, bad in (("weekly", "2026-47"), ("daily", "21/11/2026"), ("monthly", "2026-13"), ("all_time", "x")):
        with pytest.raises(ValueError):
            parse_period_key(period, bad)


def test_impact_score_weights_and_donation_points():
    assert impact.weighted({"gaming": 10, "social": 3, "donations": 2}) == 10 + 6 + 10
    assert impact.session_points(999) == 99 and impact.session_points(-5) == 0
    assert impact.donation_points(1999) == 19
    assert impact.breakdown({"social": 4})["social"] == {"points": 4, "weight": 2, "score": 8}


def test_default_achievements_are_well_formed():
    ids = [a.id for a in DEFAULT_ACHIEVEMENTS]
    assert len(ids) == len(set(ids))
    assert all(a.metric in METRICS and a.target > 0 and a.points > 0 and a.badge for a in DEFAULT_ACHIEVEMENTS)
    assert any(a.hidden for a in DEFAULT_ACHIEVEMENTS)
    needed = {
        "sessions_completed",
        "play_streak_days",
        "universal_score_total",
        "donations_count",
        "donated_cents",
        "onlus_count",
        "friends_count",
        "challenge_wins",
        "tournament_wins",
        "impact_score",
    }
    assert needed <= {a.metric for a in DEFAULT_ACHIEVEMENTS}
    doc = DEFAULT_ACHIEVEMENTS[0].as_doc()
    assert progress_of(doc, {"sessions_completed": 7}) == 1 and is_met(doc, {"sessions_completed": 1})
    assert not is_met(doc, {})


def test_pair_key_is_the_same_for_both_directions():
    assert pair_key("b", "a") == pair_key("a", "b") == "a:b"
