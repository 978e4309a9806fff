"""Order statistics over scores without scanning: a counting trie stored next to the entries.

Scores are non-negative integers below 2**(BITS*LEVELS). Read in base 2**BITS, a score is a path
through a trie of LEVELS levels; each trie node is one small document holding how many entries fall
under each of its (up to 2**BITS) children. Then:

- entries scoring strictly above s = at each level, the sum of the counters of s's node for children
  greater than s's child: LEVELS node documents, fetched in one query;
- the score of the entry at position p = a walk from the root choosing children best first: at most
  LEVELS single-document reads;
- adding or moving an entry touches at most 2 * LEVELS counters.

None of this depends on the number of users; the entries themselves are only read as narrow bands.
"""

from __future__ import annotations

# 4 levels of 1024 children: scores below 2**40 (cents up to EUR 10 billion). Wide nodes keep a rank read
# to few documents, and an entry's upper nodes change only when its score crosses a multiple of 1024.
BITS = 10
FANOUT = 1 << BITS
LEVELS = 4
MAX_SCORE = (1 << (BITS * LEVELS)) - 1
ROOT = (LEVELS - 1, 0)


def clamp(score) -> int:
    return max(0, min(int(score), MAX_SCORE))


def path(score: int) -> list[tuple[int, int, int]]:
    """[(level, parent, child)] of a score, from level 0 (the leaves) up to the root."""
    s = clamp(score)
    return [(level, s >> (BITS * (level + 1)), (s >> (BITS * level)) & (FANOUT - 1)) for level in range(LEVELS)]


def nodes_of(score: int) -> list[tuple[int, int]]:
    return [(level, parent) for level, parent, _ in path(score)]


def counter_changes(old: int | None, new: int | None) -> list[tuple[int, int, int, int]]:
    """[(level, parent, child, delta)] turning the counters for `old` into those for `new` (None = no entry)."""
    before = set(path(old)) if old is not None else set()
    after = set(path(new)) if new is not None else set()
    return sorted([(*p, -1) for p in before - after] + [(*p, +1) for p in after - before])


def count_above(nodes: dict, score: int) -> int:
    """Entries strictly above `score`, given {(level, parent): {child: n}} for the nodes on its path."""
    total = 0
    for level, parent, child in path(score):
        counters = nodes.get((level, parent)) or {}
        total += sum(n for c, n in counters.items() if c > child)
    return total


def pick(counters: dict, position: int) -> tuple[int | None, int]:
    """The child holding the `position`-th best entry (1-based) and the position inside it;
    (None, remaining) when the node holds fewer entries."""
    for child in sorted(counters, reverse=True):
        n = counters[child]
        if n <= 0:
            continue
        if position <= n:
            return child, position
        position -= n
    return None, position
