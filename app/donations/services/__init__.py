"""The donations module's services, as `build()` returns them (by sub-domain)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.infrastructure import services_of
from app.core.services.personal_data import ModulePersonalData
from app.donations.services.compliance.compliance_service import ComplianceService
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.compliance.held_donation_review import HeldDonationReview
from app.donations.services.compliance.kyc_service import KycService
from app.donations.services.compliance.sanctions_service import SanctionsService
from app.donations.services.donations.account_settlement import AccountSettlement
from app.donations.services.donations.auto_donation_service import AutoDonationService
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.donations.receipt_mail_service import ReceiptMailService
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.donations.refund_service import RefundService
from app.donations.services.donations.statement_service import StatementService
from app.donations.services.payments.card_refund_service import CardRefundService
from app.donations.services.payments.payment_service import PaymentService
from app.donations.services.treasury.batch_service import BatchService
from app.donations.services.treasury.disbursement_service import DisbursementService
from app.donations.services.treasury.financial_service import FinancialAnalyticsService
from app.donations.services.treasury.reconciliation_service import ReconciliationService
from app.donations.services.wallet.credit_service import CreditService
from app.donations.services.wallet.rates_service import RatesService
from app.donations.services.wallet.wallet_service import WalletService


@dataclass(frozen=True)
class DonationsServices:
    # wallet & ledger
    wallet: WalletService
    rates: RatesService
    credits: CreditService
    # donations & receipts
    onlus: OnlusService
    donations: DonationService
    receipts: ReceiptService
    receipt_mail: ReceiptMailService
    refunds: RefundService
    auto_donations: AutoDonationService
    statements: StatementService
    # payments
    payments: PaymentService
    card_refunds: CardRefundService
    # compliance & fraud
    compliance: ComplianceService
    kyc: KycService
    sanctions: SanctionsService
    fraud: FraudService
    held: HeldDonationReview
    # treasury
    batches: BatchService
    disbursements: DisbursementService
    reconciliation: ReconciliationService
    financial: FinancialAnalyticsService
    # an account deletion: the balance left, and the module's part of the user's data
    settlement: AccountSettlement
    personal_data: ModulePersonalData


def services() -> DonationsServices:
    return services_of(DonationsServices)
