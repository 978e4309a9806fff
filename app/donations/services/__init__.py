"""The donations module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.infrastructure import services_of
from app.donations.services.compliance.compliance_service import ComplianceService
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.compliance.kyc_service import KycService
from app.donations.services.compliance.sanctions_service import SanctionsService
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.payments.payment_service import PaymentService
from app.donations.services.treasury.batch_service import BatchService
from app.donations.services.treasury.financial_service import FinancialAnalyticsService
from app.donations.services.treasury.reconciliation_service import ReconciliationService
from app.donations.services.wallet.credit_service import CreditService
from app.donations.services.wallet.rates_service import RatesService
from app.donations.services.wallet.wallet_service import WalletService


@dataclass(frozen=True)
class DonationsServices:
    wallet: WalletService
    onlus: OnlusService
    donations: DonationService
    rates: RatesService
    credits: CreditService
    compliance: ComplianceService
    kyc: KycService
    sanctions: SanctionsService
    fraud: FraudService
    payments: PaymentService
    batches: BatchService
    reconciliation: ReconciliationService
    financial: FinancialAnalyticsService


def services() -> DonationsServices:
    return services_of(DonationsServices)
