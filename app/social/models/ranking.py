"""Order statistics over scores without scanning: a tree of counts kept next to the entries.

For every (board, period) we keep how many entries fall into each block of scores at several levels:
level L groups scores by `score >> (BITS * L)`. The number of entries scoring strictly above s is then the
sum, at each level, of the (at most 2**BITS - 1) sibling blocks above s's block; and the score held by the
entry at position p is found by walking down from the top level. Both touch at most LEVELS * 2**BITS small
count documents whatever the number of users, instead of counting (or skipping) entry index keys one by one.

Scores are non-negative integers below 2**(BITS*LEVELS) (2**42, far above any cent total).
"""
from __future__ import annotations

BITS = 6
FANOUT = 1 << BITS
LEVELS = 7
MAX_SCORE = (1 << (BITS * LEVELS)) - 1


def clamp(score) -> int:
    return max(0, min(int(score), MAX_SCORE))


def block(score: int, level: int) -> int:
    return clamp(score) >> (BITS * level)


def count_changes(old: int | None, new: int | None) -> list[tuple[int, int, int]]:
    """[(level, block, delta)] turning the counts for `old` into the counts for `new` (None = no entry)."""
    changes = []
    for level in range(LEVELS):
        before = None if old is None else block(old, level)
        after = None if new is None else block(new, level)
        if before == after:
            continue
        if before is not None:
            changes.append((level, before, -1))
        if after is not None:
            changes.append((level, after, +1))
    return changes


def ranges_above(score: int) -> list[tuple[int, int, int | None]]:
    """[(level, first_block, last_block_or_None)] whose counts add up to the entries scoring above `score`."""
    out = []
    for level in range(LEVELS):
        b = block(score, level)
        if level == LEVELS - 1:
            out.append((level, b + 1, None))
            continue
        parent_end = ((b >> BITS) + 1) << BITS
        if b + 1 <= parent_end - 1:
            out.append((level, b + 1, parent_end - 1))
    return out


def children_range(level: int, parent_block: int) -> tuple[int, int]:
    """The blocks at `level` that make up `parent_block` at level + 1."""
    return parent_block << BITS, ((parent_block + 1) << BITS) - 1


def pick(blocks_desc: list[tuple[int, int]], position: int) -> tuple[int | None, int]:
    """Among (block, n) sorted best first, the block holding the `position`-th entry (1-based)
    and the position inside that block; (None, remaining) when there are fewer entries."""
    for b, n in blocks_desc:
        if n <= 0:
            continue
        if position <= n:
            return b, position
        position -= n
    return None, position
