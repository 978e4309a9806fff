"""Donations module (part 1): ONLUS registry, wallets and ledger, conversion rates, credit conversion,
auto-donation, donations and receipts. See app/donations/README.md."""
from __future__ import annotations

from app.donations import events
from app.donations.handlers import make_handlers
from app.donations.jobs import make_integrity_check
from app.donations.models.conversion import FraudLimits
from app.donations.repositories.donations import DonationRepository, ReceiptRepository
from app.donations.repositories.onlus import OnlusRepository
from app.donations.repositories.rates import RatesRepository
from app.donations.repositories.wallets import LedgerRepository, WalletRepository
from app.donations.seed import make_seeder
from app.donations.services.compliance_service import ComplianceService
from app.donations.services.credit_service import CreditService
from app.donations.services.donation_service import DonationService
from app.donations.services.onlus_service import OnlusService
from app.donations.services.rates_service import RatesService
from app.donations.services.wallet_service import WalletService


def init_app(app, api, container) -> None:
    db, hooks, config = container.db, container.hooks, app.config
    for event in events.EVENTS:
        hooks.register_event(event)

    wallets, ledger, onlus_repo = WalletRepository(db), LedgerRepository(db), OnlusRepository(db)
    rates_repo, donations_repo, receipts_repo = RatesRepository(db), DonationRepository(db), ReceiptRepository(db)
    for repo in (wallets, ledger, onlus_repo, rates_repo, donations_repo, receipts_repo):
        repo.create_indexes()

    wallet = WalletService(db=db, wallets=wallets, ledger=ledger, hooks=hooks)
    onlus = OnlusService(onlus_repo)
    rates = RatesService(rates_repo, cache=container.cache)
    compliance = ComplianceService(
        max_per_donation_cents=config.get("DONATION_MAX_PER_DONATION_CENTS", 50_000),
        max_per_day_cents=config.get("DONATION_MAX_PER_DAY_CENTS", 100_000))
    donations = DonationService(
        wallet=wallet, onlus=onlus, compliance=compliance, donations=donations_repo, receipts=receipts_repo,
        hooks=hooks, users=container.service("users") if container.has("users") else None,
        preferences=container.service("preferences") if container.has("preferences") else None)
    limits = FraudLimits(**config.get("DONATION_FRAUD_LIMITS", {}))
    credits = CreditService(wallet=wallet, rates=rates, limits=limits, auto_donate=donations.maybe_auto_donate)

    container.register("wallet", wallet)
    container.register("onlus", onlus)
    container.register("donations", donations)
    # module-internal services, reached by this module's controllers through the container
    container.register("donations.rates", rates)
    container.register("donations.credits", credits)
    container.register("donations.compliance", compliance)

    from app.games.events import GameSessionComplete, TournamentComplete
    credit_session, pay_tournament = make_handlers(credits)
    hooks.subscribe(GameSessionComplete, "donations:credit_session", credit_session)
    hooks.subscribe(TournamentComplete, "donations:pay_tournament", pay_tournament)

    from app.donations.controllers import BLUEPRINTS
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)

    container.add_seeder("donations_onlus", make_seeder(onlus_repo))
    container.add_job("donations_integrity_check", make_integrity_check(wallet, db),
                      trigger="cron", hour=3, minute=15)
