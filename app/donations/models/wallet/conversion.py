"""Credit conversion rules (pure): play time x rate x multipliers, rounded down to the cent,
then per-session limits, fraud holds and the daily cap, each leaving a reason in the breakdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from app.donations.models.wallet.ledger import CAPPED, CREDITED, HELD

# Defaults used when no version exists yet (documented in app/donations/README.md):
# EUR 0.01 per minute (a 10-minute session is worth 10 cents before multipliers),
# a little more for puzzle/strategy/educational games, EUR 3.00 per day at most.
DEFAULT_RATES = {
    "base_rate_per_minute": "0.01",
    "category_rates": {"puzzle": "0.012", "strategy": "0.012", "educational": "0.015"},
    "multipliers": {"tournament": "1.5", "streak": "1.1", "weekend": "1.2"},
    "streak_min_days": 3,
    "daily_cap_cents": 300,
}
MAX_TOTAL_MULTIPLIER = Decimal("3")
RATE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Rates:
    version: int
    base_rate_per_minute: Decimal
    category_rates: dict
    multipliers: dict
    streak_min_days: int
    daily_cap_cents: int

    @classmethod
    def from_doc(cls, doc: dict) -> Rates:
        return cls(
            version=int(doc.get("version", 0)),
            base_rate_per_minute=Decimal(str(doc["base_rate_per_minute"])),
            category_rates={k: Decimal(str(v)) for k, v in (doc.get("category_rates") or {}).items()},
            multipliers={k: Decimal(str(v)) for k, v in (doc.get("multipliers") or {}).items()},
            streak_min_days=int(doc.get("streak_min_days", 3)),
            daily_cap_cents=int(doc["daily_cap_cents"]),
        )


@dataclass(frozen=True)
class FraudLimits:
    """Server-side guards on one session (OWASP API6: no inflation of the internal economy)."""

    max_counted_minutes: int = 120  # minutes beyond this are not paid (reduce: SESSION_MINUTES_LIMIT)
    max_plausible_minutes: int = 360  # longer than this is implausible: hold (IMPLAUSIBLE_PLAY_TIME)
    max_universal_score: int = 1000  # the universal scale tops out at 1000 per session (IMPLAUSIBLE_SCORE)
    max_sessions_per_hour: int = 12  # more completed sessions in the hour before: hold (TOO_MANY_SESSIONS)


@dataclass(frozen=True)
class SessionFacts:
    play_seconds: int
    category: str
    universal_score: int = 0
    raw_score: int = 0
    mode_multiplier: float = 1.0
    in_tournament: bool = False
    streak_days: int = 1
    is_weekend: bool = False
    sessions_last_hour: int = 0


@dataclass
class Credit:
    """The outcome for one session: what goes to the balance, what is held, and why."""

    status: str
    credited_cents: int
    held_cents: int
    breakdown: dict = field(default_factory=dict)


def _d(value) -> Decimal:
    return Decimal(str(value))


def floor_cents(euros: Decimal) -> int:
    return int((euros * 100).to_integral_value(rounding=ROUND_DOWN))


def session_credit(
    facts: SessionFacts, rates: Rates, *, earned_today_cents: int, limits: FraudLimits = FraudLimits()
) -> Credit:
    reasons: list[str] = []
    hold_reasons: list[str] = []
    play_seconds = max(0, int(facts.play_seconds))

    counted_seconds = play_seconds
    if play_seconds > limits.max_counted_minutes * 60:
        counted_seconds = limits.max_counted_minutes * 60
        reasons.append("SESSION_MINUTES_LIMIT")
    if play_seconds > limits.max_plausible_minutes * 60:
        hold_reasons.append("IMPLAUSIBLE_PLAY_TIME")
    if facts.universal_score > limits.max_universal_score or facts.universal_score < 0 or facts.raw_score < 0:
        hold_reasons.append("IMPLAUSIBLE_SCORE")
    if facts.sessions_last_hour > limits.max_sessions_per_hour:
        hold_reasons.append("TOO_MANY_SESSIONS")

    if facts.category in rates.category_rates:
        rate, rate_source = rates.category_rates[facts.category], f"category:{facts.category}"
    else:
        rate, rate_source = rates.base_rate_per_minute, "base"

    applied: dict[str, Decimal] = {}
    if facts.in_tournament and "tournament" in rates.multipliers:
        applied["tournament"] = rates.multipliers["tournament"]
    if facts.streak_days >= rates.streak_min_days and "streak" in rates.multipliers:
        applied["streak"] = rates.multipliers["streak"]
    if facts.is_weekend and "weekend" in rates.multipliers:
        applied["weekend"] = rates.multipliers["weekend"]
    mode = _d(facts.mode_multiplier if facts.mode_multiplier is not None else 1)
    if mode != 1:
        applied["mode"] = max(Decimal(0), mode)
    total = Decimal(1)
    for value in applied.values():
        total *= value
    if total > MAX_TOTAL_MULTIPLIER:
        total = MAX_TOTAL_MULTIPLIER
        reasons.append("MULTIPLIER_LIMIT")

    minutes = Decimal(counted_seconds) / 60
    gross_cents = floor_cents(minutes * rate * total)

    cap_left = max(0, rates.daily_cap_cents - max(0, earned_today_cents))
    if hold_reasons:
        status, credited, held = HELD, 0, gross_cents
    else:
        credited = min(gross_cents, cap_left)
        held = 0
        if credited < gross_cents:
            reasons.append("DAILY_CAP")
        status = CAPPED if reasons else CREDITED

    breakdown = {
        "play_seconds": play_seconds,
        "counted_minutes": float(minutes.quantize(Decimal("0.01"), rounding=ROUND_DOWN)),
        "rate_per_minute": float(rate),
        "rate_source": rate_source,
        "multipliers": {k: float(v) for k, v in applied.items()},
        "total_multiplier": float(total),
        "gross_cents": gross_cents,
        "daily_cap_cents": rates.daily_cap_cents,
        "earned_today_before_cents": max(0, earned_today_cents),
        "credited_cents": credited,
        "held_cents": held,
        "status": status,
        "reasons": reasons + hold_reasons,
        "rates_version": rates.version,
    }
    return Credit(status=status, credited_cents=credited, held_cents=held, breakdown=breakdown)


def normalise_rate(value) -> str:
    """A per-minute rate in euros as an exact string with at most 4 decimals."""
    return str(_d(value).quantize(RATE_QUANTUM))
