"""Donations module: ONLUS registry, wallets and ledger, conversion rates, credit conversion, auto-donation,
donations and receipts (part 1); card payments (Stripe or a simulated provider) with webhooks, compliance
(AML/KYC/sanctions, held donations), fraud detection, batch operations, reconciliation and financial
analytics (part 2). See app/donations/README.md."""
from __future__ import annotations

import logging

from app.donations import events
from app.donations.handlers import make_handlers
from app.donations.jobs import (make_batch_runner, make_integrity_check, make_monthly_disbursement,
                                make_receipt_numbering, make_reconciliation)
from app.donations.models.compliance import ComplianceRules, VelocityLimits
from app.donations.models.conversion import FraudLimits
from app.donations.repositories.batches import BatchRepository
from app.donations.repositories.compliance import (ComplianceCheckRepository, FraudFlagRepository, KycRepository,
                                                   SanctionsRepository)
from app.donations.repositories.donations import DonationRepository, ReceiptRepository
from app.donations.repositories.onlus import OnlusRepository
from app.donations.repositories.payments import (PaymentIntentRepository, ProviderConfigRepository,
                                                 WebhookEventRepository)
from app.donations.repositories.rates import RatesRepository
from app.donations.repositories.wallets import LedgerRepository, WalletRepository
from app.donations.seed import make_seeder
from app.donations.services.batch_service import BatchService
from app.donations.services.compliance_service import ComplianceService
from app.donations.services.credit_service import CreditService
from app.donations.services.donation_service import DonationService
from app.donations.services.financial_service import FinancialAnalyticsService
from app.donations.services.fraud_service import FraudService
from app.donations.services.onlus_service import OnlusService
from app.donations.services.payment_providers import SimulatedProvider, StripeProvider
from app.donations.services.payment_service import PaymentService
from app.donations.services.rates_service import RatesService
from app.donations.services.reconciliation_service import ReconciliationService
from app.donations.services.wallet_service import WalletService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

log = logging.getLogger(__name__)


def build_provider(config, db):
    """Stripe when STRIPE_SECRET_KEY is set (ONE StripeClient for the app), else the simulated provider."""
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        return SimulatedProvider(db)
    import stripe
    options = {}
    if config.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    client = stripe.StripeClient(key, max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)), **options)
    if not config.get("STRIPE_WEBHOOK_SECRET"):
        log.warning("STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook will be refused")
    return StripeProvider(client, webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"))


def init_app(app, api, container) -> None:
    db, hooks, config = container.db, container.hooks, app.config

    wallets, ledger, onlus_repo = WalletRepository(db), LedgerRepository(db), OnlusRepository(db)
    rates_repo, donations_repo, receipts_repo = RatesRepository(db), DonationRepository(db), ReceiptRepository(db)
    kyc_repo, checks_repo, sanctions_repo = KycRepository(db), ComplianceCheckRepository(db), SanctionsRepository(db)
    flags_repo, intents_repo = FraudFlagRepository(db), PaymentIntentRepository(db)
    webhooks_repo, providers_repo, batches_repo = WebhookEventRepository(db), ProviderConfigRepository(db), \
        BatchRepository(db)
    for repo in (wallets, ledger, onlus_repo, rates_repo, donations_repo, receipts_repo, kyc_repo, checks_repo,
                 sanctions_repo, flags_repo, intents_repo, webhooks_repo, providers_repo, batches_repo):
        repo.create_indexes()

    users = container.service("users") if container.has("users") else None
    fraud_config = dict(config.get("DONATION_FRAUD_LIMITS") or {})
    velocity = VelocityLimits.from_config(fraud_config)

    wallet = WalletService(db=db, wallets=wallets, ledger=ledger, hooks=hooks)
    onlus = OnlusService(onlus_repo)
    rates = RatesService(rates_repo, cache=container.cache)
    fraud = FraudService(flags=flags_repo, intents=intents_repo, ledger=ledger, donations=donations_repo,
                         limits=velocity)
    compliance = ComplianceService(
        max_per_donation_cents=config.get("DONATION_MAX_PER_DONATION_CENTS", 50_000),
        max_per_day_cents=config.get("DONATION_MAX_PER_DAY_CENTS", 100_000),
        rules=[fraud.donation_rule], aml=ComplianceRules.from_config(config.get("DONATION_COMPLIANCE")),
        kyc=kyc_repo, checks=checks_repo, sanctions=sanctions_repo, users=users,
        window_total=ledger.donated_since, cache=container.cache)
    donations = DonationService(
        wallet=wallet, onlus=onlus, compliance=compliance, donations=donations_repo, receipts=receipts_repo,
        hooks=hooks, users=users,
        preferences=container.service("preferences") if container.has("preferences") else None)
    limits = FraudLimits(**{k: v for k, v in fraud_config.items() if k in FraudLimits.__dataclass_fields__})
    credits = CreditService(wallet=wallet, rates=rates, limits=limits, auto_donate=donations.maybe_auto_donate,
                            fraud=fraud)
    payments = PaymentService(provider=build_provider(config, db), intents=intents_repo, webhooks=webhooks_repo,
                              providers_repo=providers_repo, donations=donations, onlus=onlus,
                              compliance=compliance, fraud=fraud, wallets=wallets)
    payments.register_provider()
    donations.payments = payments
    batches = BatchService(repo=batches_repo, donations=donations, users=users)
    reconciliation = ReconciliationService(db=db, wallet=wallet, payments=payments, batches_repo=batches_repo)
    reconciliation.create_indexes()
    financial = FinancialAnalyticsService(db=db, onlus=onlus, cache=container.cache)

    container.register("wallet", wallet)
    container.register("onlus", onlus)
    container.register("donations", donations)
    # module-internal services, reached by this module's controllers through the container
    container.register("donations.rates", rates)
    container.register("donations.credits", credits)
    container.register("donations.compliance", compliance)
    container.register("donations.fraud", fraud)
    container.register("donations.payments", payments)
    container.register("donations.batches", batches)
    container.register("donations.reconciliation", reconciliation)
    container.register("donations.financial", financial)

    from app.games.events import GameSessionComplete, TournamentComplete
    credit_session, pay_tournament = make_handlers(credits)
    hooks.subscribe(GameSessionComplete, "donations:credit_session", credit_session)
    hooks.subscribe(TournamentComplete, "donations:pay_tournament", pay_tournament)
    # financial dashboards are cached: every completed or refunded donation makes them stale
    hooks.subscribe(events.DonationComplete, "donations:invalidate_financial", financial.invalidate)
    hooks.subscribe(events.DonationRefunded, "donations:invalidate_financial", financial.invalidate)

    from app.donations.controllers import BLUEPRINTS
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)

    container.add_seeder("donations_onlus", make_seeder(onlus_repo))
    container.add_job("donations_integrity_check", make_integrity_check(wallet, db),
                      trigger="cron", hour=3, minute=15)
    container.add_job("donations_reconciliation", make_reconciliation(reconciliation),
                      trigger="cron", hour=3, minute=45)
    container.add_job("donations_batch_runner", make_batch_runner(batches), trigger="interval", minutes=1)
    container.add_job("donations_receipt_numbering", make_receipt_numbering(donations),
                      trigger="interval", minutes=1)
    container.add_job("donations_monthly_disbursement", make_monthly_disbursement(batches),
                      trigger="cron", day=1, hour=2, minute=0, misfire_grace_time=None, coalesce=True)
