"""Donations module: ONLUS registry, wallets and ledger, conversion rates, credit conversion, auto-donation,
donations and receipts; card payments (Stripe or a simulated provider) with webhooks, compliance
(AML/KYC/sanctions, held donations), fraud detection, batch operations, reconciliation and financial
analytics. See app/donations/README.md."""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from app.core.contracts import MailQueue, RuntimeConfig, UserDirectory, UserPreferences
from app.core.infrastructure import Infrastructure
from app.core.metrics import Figure
from app.core.services.personal_data import ModulePersonalData
from app.donations import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.donations.controllers import BLUEPRINTS
from app.donations.models.compliance.fraud import VelocityLimits
from app.donations.models.compliance.rules import ComplianceRules
from app.donations.models.wallet.conversion import FraudLimits
from app.donations.repositories.compliance.checks import ComplianceCheckRepository
from app.donations.repositories.compliance.fraud_flags import FraudFlagRepository
from app.donations.repositories.compliance.kyc import KycRepository
from app.donations.repositories.compliance.sanctions import SanctionsRepository
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.donations.onlus import OnlusRepository
from app.donations.repositories.donations.receipts import ReceiptRepository
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.repositories.payments.providers import ProviderConfigRepository
from app.donations.repositories.payments.simulated import SimulatedPaymentRepository
from app.donations.repositories.payments.webhooks import WebhookEventRepository
from app.donations.repositories.personal_data import DonationRecordsOfUser
from app.donations.repositories.treasury.batches import BatchRepository
from app.donations.repositories.treasury.disbursements import DisbursementRepository
from app.donations.repositories.treasury.financial import FinancialRepository
from app.donations.repositories.treasury.reconciliation import ReconciliationRepository
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.repositories.wallet.rates import RatesRepository
from app.donations.repositories.wallet.wallets import IntegrityReportRepository, WalletRepository
from app.donations.services import DonationsServices
from app.donations.services.compliance.aml_screening import AmlScreening
from app.donations.services.compliance.compliance_service import ComplianceService
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.compliance.held_donation_review import HeldDonationReview
from app.donations.services.compliance.kyc_service import KycService
from app.donations.services.compliance.sanctions_service import SanctionsService
from app.donations.services.donations.account_settlement import AccountSettlement
from app.donations.services.donations.auto_donation_service import AutoDonationService
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.donations.onlus_service import OnlusRecipients, OnlusService
from app.donations.services.donations.receipt_mail_service import ReceiptMailService
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.donations.refund_service import RefundService
from app.donations.services.donations.statement_service import StatementService
from app.donations.services.payments.card_donation_service import CardDonationService
from app.donations.services.payments.card_refund_service import CardRefundService
from app.donations.services.payments.payment_service import PaymentService
from app.donations.services.payments.providers import PaymentProvider, SimulatedProvider, StripeProvider
from app.donations.services.treasury.batch_service import BatchService
from app.donations.services.treasury.disbursement_service import DisbursementService
from app.donations.services.treasury.financial_service import FinancialAnalyticsService
from app.donations.services.treasury.reconciliation_service import ReconciliationService
from app.donations.services.wallet.credit_service import CreditService
from app.donations.services.wallet.ledger import Ledger
from app.donations.services.wallet.rates_service import RatesService
from app.donations.services.wallet.wallet_service import WalletService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

log = logging.getLogger(__name__)


def build_provider(config, simulated: SimulatedPaymentRepository) -> PaymentProvider:
    """The configured PAYMENTS_PROVIDER (config/settings.py settles it: Stripe when STRIPE_SECRET_KEY is set,
    else the simulated provider, which production refuses unless chosen on purpose); ONE StripeClient."""
    key = config.get("STRIPE_SECRET_KEY")
    if config.get("PAYMENTS_PROVIDER", "stripe" if key else "simulated") == "simulated":
        return SimulatedProvider(simulated)
    import stripe

    options = {}
    if config.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    client = stripe.StripeClient(key, max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)), **options)
    if not config.get("STRIPE_WEBHOOK_SECRET"):
        log.warning("STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook will be refused")
    return StripeProvider(client, webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"))


def recipients(infra: Infrastructure) -> OnlusRecipients:
    """Which ONLUS can receive donations (app.core.contracts.DonationRecipients), for core, built first."""
    return OnlusRecipients(OnlusRepository(infra.db))


def build(
    infra: Infrastructure,
    *,
    users: UserDirectory,
    preferences: UserPreferences,
    mail: MailQueue,
    runtime: RuntimeConfig,
) -> DonationsServices:
    db, hooks, config, cache = infra.db, infra.hooks, infra.config, infra.cache
    fraud_config = dict(config.get("DONATION_FRAUD_LIMITS") or {})
    aml_rules = ComplianceRules.from_config(config.get("DONATION_COMPLIANCE"))

    wallets, entries, donations_repo, intents = (
        WalletRepository(db),
        LedgerRepository(db),
        DonationRepository(db),
        PaymentIntentRepository(db),
    )
    receipts_repo, batches_repo = ReceiptRepository(db), BatchRepository(db)
    provider = build_provider(config, SimulatedPaymentRepository(db))

    # wallet & ledger
    ledger = Ledger(wallets=wallets, entries=entries, transactions=infra.transactions, hooks=hooks)
    wallet = WalletService(
        ledger=ledger, wallets=wallets, entries=entries, integrity_reports=IntegrityReportRepository(db), users=users
    )
    rates = RatesService(RatesRepository(db), cache=cache)

    # compliance & fraud
    fraud = FraudService(
        flags=FraudFlagRepository(db),
        intents=intents,
        donations=donations_repo,
        limits=VelocityLimits.from_config(fraud_config),
    )
    kyc = KycService(KycRepository(db))
    sanctions = SanctionsService(SanctionsRepository(db), configured=aml_rules.sanctions_list, users=users, cache=cache)
    compliance = ComplianceService(
        # screening, in order: AML/KYC thresholds, sanctions, fraud velocity
        rules=[AmlScreening(aml_rules, ledger=entries, kyc=kyc).screen, sanctions.screen, fraud.donation_rule],
        checks=ComplianceCheckRepository(db),
        kyc=kyc,
        runtime=runtime,
    )

    # donations & receipts
    onlus = OnlusService(OnlusRepository(db))
    receipts = ReceiptService(
        receipts=receipts_repo, donations=donations_repo, transactions=infra.transactions, users=users
    )
    donations = DonationService(
        ledger=ledger,
        entries=entries,
        donations=donations_repo,
        onlus=onlus,
        compliance=compliance,
        receipts=receipts,
        receipts_after_answer=infra.hooks.deferred,
    )
    card_refunds = CardRefundService(provider=provider, intents=intents, donations=donations_repo)
    refunds = RefundService(
        ledger=ledger, entries=entries, donations=donations_repo, receipts=receipts, card_refunds=card_refunds
    )
    held = HeldDonationReview(
        ledger=ledger, donations=donations_repo, onlus=onlus, receipts=receipts, card_refunds=card_refunds
    )
    auto_donations = AutoDonationService(
        donations=donations,
        ledger=ledger,
        onlus=onlus,
        preferences=preferences,
        hooks=hooks,
        compliance=compliance,
    )
    credits = CreditService(
        ledger=ledger,
        rates=rates,
        limits=FraudLimits(**{k: v for k, v in fraud_config.items() if k in FraudLimits.__dataclass_fields__}),
        fraud=fraud,
        auto_donations=auto_donations,
    )

    # treasury
    disbursements = DisbursementService(repo=DisbursementRepository(db), entries=entries, onlus=onlus)

    # payments
    payments = PaymentService(
        provider=provider,
        intents=intents,
        webhooks=WebhookEventRepository(db),
        provider_settings=ProviderConfigRepository(db),
        wallets=wallets,
        donations=donations_repo,
        onlus=onlus,
        compliance=compliance,
        fraud=fraud,
        card_donations=CardDonationService(
            ledger=ledger, donations=donations_repo, intents=intents, onlus=onlus, receipts=receipts
        ),
        refunds=refunds,
        held=held,
    )

    return DonationsServices(
        wallet=wallet,
        rates=rates,
        credits=credits,
        onlus=onlus,
        donations=donations,
        receipts=receipts,
        receipt_mail=ReceiptMailService(
            receipts=receipts, users=users, preferences=preferences, mail=mail, frontend_url=config["FRONTEND_URL"]
        ),
        refunds=refunds,
        auto_donations=auto_donations,
        statements=StatementService(donations=donations_repo, receipts=receipts_repo, receipt_service=receipts),
        payments=payments,
        card_refunds=card_refunds,
        compliance=compliance,
        kyc=kyc,
        sanctions=sanctions,
        fraud=fraud,
        held=held,
        batches=BatchService(
            repo=batches_repo, donations=donations, onlus=onlus, disbursements=disbursements, users=users
        ),
        disbursements=disbursements,
        reconciliation=ReconciliationService(
            repo=ReconciliationRepository(db),
            wallet=wallet,
            provider=provider,
            intents=intents,
            batches=batches_repo,
            disbursements=disbursements,
        ),
        financial=FinancialAnalyticsService(repo=FinancialRepository(db), onlus=onlus, cache=cache),
        settlement=AccountSettlement(wallet=wallet, donations=donations, compliance=compliance),
        personal_data=ModulePersonalData("donations", DonationRecordsOfUser(db), after_erase=receipts.forget_donor),
    )


def init_app(app: Flask, api: Api, services: DonationsServices) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)


def figures(services: DonationsServices) -> list[Figure]:
    """What the operator's metrics count of the donations module (read at scrape time)."""

    def donations(field: int):
        return lambda: {(status,): v[field] for status, v in services.donations.totals_by_status().items()}

    def ledger(field: int):
        return lambda: {(kind,): v[field] for kind, v in services.wallet.ledger_totals().items()}

    return [
        Figure("goodplay_donations", "Donations by status", donations(0), ("status",)),
        Figure(
            "goodplay_donations_euros",
            "Euros of donations by status",
            lambda: {k: v / 100 for k, v in donations(1)().items()},
            ("status",),
        ),
        Figure("goodplay_ledger_entries", "Ledger entries by type (earned: game credits)", ledger(0), ("type",)),
        Figure(
            "goodplay_ledger_euros",
            "Euros moved by ledger entries, by type",
            lambda: {k: v / 100 for k, v in ledger(1)().items()},
            ("type",),
        ),
    ]
