"""Hook subscribers of the donations module. Each is idempotent per business key (ledger keys)."""

from __future__ import annotations

from app.core.hooks import Event, Subscription
from app.donations.events import DonationComplete, DonationRefunded
from app.donations.services import DonationsServices
from app.donations.services.wallet.credit_service import CreditService
from app.games.events import GameSessionComplete, SessionApproved, SessionVoided, TournamentComplete
from app.social.events import SeasonRewardGranted


def subscriptions(services: DonationsServices) -> list[Subscription]:
    credit_session, pay_tournament, pay_season = _credit_handlers(services.credits)
    invalidate = services.financial.invalidate

    def number_receipt(event: Event) -> None:
        if services.donations.receipts_after_answer:  # else the request numbered it
            services.receipts.number_completed(event.payload.donation_id)

    def number_receipts(events: list[Event]) -> None:
        if services.donations.receipts_after_answer:
            services.receipts.number_completed_many([e.payload.donation_id for e in events])

    def mail_receipt(event: Event) -> None:
        services.receipt_mail.send(user_id=event.payload.user_id, donation_id=event.payload.donation_id)

    def mail_receipts(events: list[Event]) -> None:  # after the batch numbered them (each mail keyed: once)
        for event in events:
            mail_receipt(event)

    return [
        Subscription(GameSessionComplete, "donations:credit_session", credit_session),
        Subscription(
            SessionVoided, "donations:reverse_session", lambda event: services.credits.void_session(event.payload)
        ),
        Subscription(
            SessionApproved, "donations:release_session", lambda event: services.credits.approve_session(event.payload)
        ),
        Subscription(TournamentComplete, "donations:pay_tournament", pay_tournament),
        Subscription(SeasonRewardGranted, "donations:pay_season_reward", pay_season),
        # financial dashboards are cached: every completed or refunded donation makes them stale
        Subscription(DonationComplete, "donations:invalidate_financial", invalidate),
        Subscription(DonationRefunded, "donations:invalidate_financial", invalidate),
        Subscription(DonationComplete, "donations:number_receipt", number_receipt, batch=number_receipts),
        Subscription(DonationComplete, "donations:receipt_email", mail_receipt, batch=mail_receipts),
    ]


def _credit_handlers(credits: CreditService):
    def credit_session(event: Event) -> None:
        credits.credit_completed_session(event.payload)

    def pay_tournament(event: Event) -> None:
        p = event.payload
        for result in p.results or []:
            user_id = result.get("user_id")
            cents = int(result.get("reward_cents") or 0)
            if not user_id or cents <= 0:
                continue
            credits.credit_bonus(
                user_id=user_id,
                key=f"tournament:{p.tournament_id}:{user_id}",
                amount_cents=cents,
                source={
                    "kind": "tournament",
                    "id": p.tournament_id,
                    "rank": result.get("rank"),
                    "team_id": result.get("team_id"),
                },
                reason=f"Tournament reward: {p.tournament_name} (rank {result.get('rank')})",
            )

    def pay_season(event: Event) -> None:
        p: SeasonRewardGranted = event.payload
        credits.credit_bonus(
            user_id=p.user_id,
            key=f"season:{p.season_id}:{p.board}:{p.user_id}",
            amount_cents=int(p.bonus_cents),
            source={"kind": "season", "id": p.season_id, "rank": p.rank, "board": p.board},
            reason=f"Season reward: {p.season_name} (rank {p.rank} on {p.board})",
        )

    return credit_session, pay_tournament, pay_season
