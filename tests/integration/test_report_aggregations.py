"""The report figures the database adds up (period_summary, net_donated_by_onlus_month, the financial
dashboard's tally) agree with the same figures added up in Python from the ledger entries themselves:
donations, refunds, other entry types, the bounds of the period, entries without ONLUS, category or source."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from bson import ObjectId

from app.donations.models.treasury.financial import Tally, dashboard
from app.donations.models.wallet.ledger import CARD_PAYMENT, DONATED, EARNED, REFUND
from app.donations.repositories.treasury.financial import FinancialRepository
from app.donations.repositories.wallet.ledger import LedgerRepository

START, END = datetime(2026, 3, 1), datetime(2026, 4, 1)

CARD_DONATION, LOST_DONATION = ObjectId(), ObjectId()


def bucket(ts: datetime, granularity: str) -> str:
    if granularity == "month":
        return f"{ts.year:04d}-{ts.month:02d}"
    if granularity == "week":
        year, week, _ = ts.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return ts.date().isoformat()


def missing_sources(entries: list[dict]) -> list[str]:
    """The donations whose entries do not carry their source (entries written before the ledger recorded it)."""
    return [(e.get("meta") or {}).get("donation_id") for e in entries if not (e.get("meta") or {}).get("source")]


def tally(entries: list[dict], *, sources: dict[str, str], granularity: str) -> Tally:
    """The dashboard's tally added up in Python, entry by entry (`sources`: {donation_id: source} for the
    entries whose meta does not say)."""
    t = Tally()
    for e in entries:
        meta = e.get("meta") or {}
        net = -e["amount_cents"]  # donation debits are negative, refunds positive
        onlus_id = meta.get("onlus_id") or "unknown"
        category = meta.get("onlus_category") or "unknown"
        source = meta.get("source") or sources.get(meta.get("donation_id")) or "wallet"
        is_donation = e["type"] == DONATED
        point = t.trend.setdefault(
            bucket(e["created_at"], granularity),
            {"donated_cents": 0, "refunded_cents": 0, "net_cents": 0, "count": 0, "donors": set()},
        )
        point["net_cents"] += net
        if is_donation:
            t.donated += net
            t.donation_count += 1
            t.largest = max(t.largest, net)
            point["donated_cents"] += net
            point["count"] += 1
            point["donors"].add(e["user_id"])
        else:
            t.refunded += -net
            t.refund_count += 1
            point["refunded_cents"] += -net
        t.donors[e["user_id"]] += net
        for table, k in ((t.by_onlus, onlus_id), (t.by_category, category), (t.by_source, source)):
            table[k][0] += net
            table[k][1] += 1 if is_donation else -1
    t.donor_ids = sorted({e["user_id"] for e in entries if e["type"] == DONATED})
    for point in t.trend.values():
        point["donors"] = len(point["donors"])
    return t


def _meta(onlus=None, category=None, source="wallet", donation=None):
    meta = {"onlus_id": onlus, "onlus_category": category, "source": source, "donation_id": donation}
    return {k: v for k, v in meta.items() if v is not None}


H1, E2 = _meta("o1", "health"), _meta("o2", "education")
ROWS = [
    # user, type, cents, meta, created_at
    ("ada", DONATED, -500, H1, START),  # the first instant is in the period
    ("ada", DONATED, -300, E2, START + timedelta(days=3, hours=5)),
    ("bob", DONATED, -800, H1, START + timedelta(days=3, hours=9)),
    ("bob", DONATED, -200, E2, START + timedelta(days=9)),
    ("bob", REFUND, 200, E2, START + timedelta(days=10)),
    ("cem", DONATED, -1200, _meta("o1", "culture"), START + timedelta(days=12)),  # the ONLUS changed category
    ("cem", DONATED, -100, _meta(category="health"), START + timedelta(days=14)),  # no ONLUS recorded
    ("dan", DONATED, -250, _meta("o2"), START + timedelta(days=20)),  # no category recorded
    ("eve", REFUND, 400, H1, START + timedelta(days=21)),  # refund of a donation made before the period
    (
        "fay",
        DONATED,
        -600,
        _meta("o2", "education", source=None, donation=str(CARD_DONATION)),
        START + timedelta(days=22),
    ),
    ("fay", DONATED, -150, _meta("o1", "health", source="", donation=str(LOST_DONATION)), START + timedelta(days=23)),
    ("fay", REFUND, 150, _meta("o1", "health", source=None, donation=str(LOST_DONATION)), START + timedelta(days=24)),
    ("gus", DONATED, -350, {}, START + timedelta(days=25)),  # no meta at all
    ("abe", DONATED, -250, H1, START + timedelta(days=26)),  # as much as dan, later
    ("ada", DONATED, -50, H1, END - timedelta(milliseconds=1)),  # the last instant is in the period
    ("ada", DONATED, -900, H1, END),  # the next period
    ("eve", DONATED, -400, H1, START - timedelta(milliseconds=1)),  # the period before: an earlier donor
    ("hal", EARNED, 999, {}, START + timedelta(days=2)),  # not donations
    ("hal", CARD_PAYMENT, 600, {}, START + timedelta(days=22)),
]


@pytest.fixture
def ledger_db(db):
    db["transactions"].insert_many(
        [
            {"key": f"k{i}", "user_id": u, "type": t, "amount_cents": c, "meta": m, "created_at": at}
            for i, (u, t, c, m, at) in enumerate(ROWS)
        ]
    )
    db["donations"].insert_one({"_id": CARD_DONATION, "source": "card"})  # LOST_DONATION has no record
    return db


def _entries(db, start, end, *, onlus_id=None):
    """The donation and refund entries of [start, end) in the order the ledger reads them: by type, then time."""
    query = {"type": {"$in": [DONATED, REFUND]}}
    if start or end:
        query["created_at"] = {**({"$gte": start} if start else {}), **({"$lt": end} if end else {})}
    rows = [e for e in db["transactions"].find(query) if not onlus_id or e["meta"].get("onlus_id") == onlus_id]
    return sorted(rows, key=lambda e: (e["type"] != DONATED, e["created_at"], e["key"]))


def _summary_in_python(entries):
    by_onlus, by_category, donors, count = {}, {}, set(), 0
    for e in entries:
        net = -e["amount_cents"]
        onlus = e["meta"].get("onlus_id", "unknown")
        category = e["meta"].get("onlus_category", "unknown")
        by_onlus[onlus] = by_onlus.get(onlus, 0) + net
        by_category[category] = by_category.get(category, 0) + net
        if e["type"] == DONATED:
            donors.add(e["user_id"])
            count += 1
    return {
        "total_cents": sum(by_onlus.values()),
        "donation_count": count,
        "donor_ids": sorted(donors),
        "by_category": by_category,
        "by_onlus": by_onlus,
    }


@pytest.mark.parametrize(
    "start,end",
    [(START, END), (START - timedelta(days=31), START), (datetime(2026, 1, 1), datetime(2027, 1, 1)), (END, END)],
)
def test_the_period_summary_adds_up_the_periods_entries(ledger_db, start, end):
    summary = LedgerRepository(ledger_db).period_summary(start, end)
    assert summary == _summary_in_python(_entries(ledger_db, start, end))


def test_the_period_summary_of_march(ledger_db):
    summary = LedgerRepository(ledger_db).period_summary(START, END)
    assert summary["donation_count"] == 12
    assert summary["donor_ids"] == ["abe", "ada", "bob", "cem", "dan", "fay", "gus"]
    assert summary["total_cents"] == 500 + 300 + 800 + 1200 + 100 + 250 - 400 + 600 + 350 + 250 + 50
    assert summary["by_onlus"]["unknown"] == 450 and summary["by_onlus"]["o1"] == 500 + 800 + 1200 - 400 + 250 + 50
    assert summary["by_category"]["culture"] == 1200 and summary["by_category"]["unknown"] == 250 + 350


@pytest.mark.parametrize(
    "filters",
    [{}, {"onlus_id": "o1"}, {"onlus_id": "o2", "start": START, "end": END}, {"start": START, "end": END}],
)
def test_net_donated_by_onlus_month_adds_up_the_entries(ledger_db, filters):
    expected: dict = {}
    for e in _entries(ledger_db, filters.get("start"), filters.get("end"), onlus_id=filters.get("onlus_id")):
        key = (e["meta"].get("onlus_id"), f"{e['created_at']:%Y-%m}")
        expected[key] = expected.get(key, 0) - e["amount_cents"]
    assert LedgerRepository(ledger_db).net_donated_by_onlus_month(**filters) == expected


def _dashboard(figures, start, end, granularity, earlier):
    return dashboard(
        figures,
        start=start,
        end=end,
        granularity=granularity,
        onlus_names={},
        earlier_donors=earlier,
        wallets={},
        held={},
        card_payments={"count": 0, "cents": 0},
        intents_by_status={},
        generated_at=None,
    )


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
@pytest.mark.parametrize("start,end", [(START, END), (datetime(2026, 2, 20), datetime(2026, 3, 10)), (END, END)])
def test_the_financial_tally_adds_up_the_periods_entries(ledger_db, granularity, start, end):
    repo = FinancialRepository(ledger_db)
    entries = _entries(ledger_db, start, end)
    in_python = tally(entries, sources=repo.donation_sources(missing_sources(entries)), granularity=granularity)
    by_database = repo.donation_tally(start, end, granularity=granularity)
    earlier = repo.donors_before(start)
    assert _dashboard(by_database, start, end, granularity, earlier) == _dashboard(
        in_python, start, end, granularity, earlier
    )


def test_the_financial_tally_of_march(ledger_db):
    repo = FinancialRepository(ledger_db)
    figures = _dashboard(
        repo.donation_tally(START, END, granularity="week"), START, END, "week", repo.donors_before(START)
    )
    totals = figures["totals"]
    assert (totals["donation_count"], totals["refund_count"], totals["refunded_cents"]) == (12, 3, 750)
    assert totals["largest_cents"] == 1200 and totals["donors"] == 7 and totals["new_donors"] == 7  # eve gave before
    # the entries without a source: one of a card donation, the others of a donation with no record
    assert {r["key"]: (r["amount_cents"], r["count"]) for r in figures["by_source"]} == {
        "wallet": (500 + 300 + 800 + 1200 + 100 + 250 - 400 + 350 + 250 + 50, 11 - 3),
        "card": (600, 1),
    }
    # equal amounts keep the order of the donors' first donations
    assert [(r["key"], r["amount_cents"]) for r in figures["top_donors"]] == [
        ("cem", 1300),
        ("ada", 850),
        ("bob", 800),
        ("fay", 600),
        ("gus", 350),
        ("dan", 250),
        ("abe", 250),
    ]
    assert [(p["period"], p["donors"]) for p in figures["trend"]] == [
        ("2026-W09", 1),
        ("2026-W10", 2),
        ("2026-W11", 2),
        ("2026-W12", 1),  # and eve's refund
        ("2026-W13", 3),
        ("2026-W14", 1),
    ]


def test_iso_weeks_across_the_new_year(db):
    repo = FinancialRepository(db)
    at = datetime(2025, 12, 29, 10)  # a Monday: week 1 of ISO year 2026
    db["transactions"].insert_many(
        [
            {"key": "w1", "user_id": "ada", "type": DONATED, "amount_cents": -100, "meta": H1, "created_at": at},
            {
                "key": "w2",
                "user_id": "bob",
                "type": DONATED,
                "amount_cents": -100,
                "meta": H1,
                "created_at": at - timedelta(days=1),
            },
        ]
    )
    trend = _dashboard(
        repo.donation_tally(datetime(2025, 12, 1), datetime(2026, 1, 5), granularity="week"),
        datetime(2025, 12, 1),
        datetime(2026, 1, 5),
        "week",
        set(),
    )["trend"]
    assert [p["period"] for p in trend] == ["2025-W52", "2026-W01"]
