"""Team roles and who may do what to whom."""

from __future__ import annotations

OWNER, ADMIN, MEMBER = "owner", "admin", "member"
ROLES = (OWNER, ADMIN, MEMBER)
_RANK = {OWNER: 3, ADMIN: 2, MEMBER: 1}
MIN_TEAM_SIZE, MAX_TEAM_SIZE, DEFAULT_TEAM_SIZE = 2, 50, 10


def can_remove(actor_role: str, target_role: str) -> bool:
    """Owners remove admins and members; admins remove members; nobody removes the owner."""
    return actor_role in (OWNER, ADMIN) and _RANK[actor_role] > _RANK[target_role]


def can_set_role(actor_role: str, new_role: str) -> bool:
    return actor_role == OWNER and new_role in (ADMIN, MEMBER)


def can_manage(role: str | None) -> bool:
    """Registers the team in tournaments."""
    return role in (OWNER, ADMIN)


def successor(members: list[dict]) -> dict | None:
    """Who becomes owner when the owner leaves: the longest-serving admin, else the longest-serving member."""
    others = [m for m in members if m["role"] != OWNER]
    if not others:
        return None
    return sorted(others, key=lambda m: (-_RANK[m["role"]], m["joined_at"]))[0]


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()
