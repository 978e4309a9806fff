"""The donations module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.infrastructure import services_of
from app.donations.services.batch_service import BatchService
from app.donations.services.compliance_service import ComplianceService
from app.donations.services.credit_service import CreditService
from app.donations.services.donation_service import DonationService
from app.donations.services.financial_service import FinancialAnalyticsService
from app.donations.services.fraud_service import FraudService
from app.donations.services.onlus_service import OnlusService
from app.donations.services.payment_service import PaymentService
from app.donations.services.rates_service import RatesService
from app.donations.services.reconciliation_service import ReconciliationService
from app.donations.services.wallet_service import WalletService


@dataclass(frozen=True)
class DonationsServices:
    wallet: WalletService
    onlus: OnlusService
    donations: DonationService
    rates: RatesService
    credits: CreditService
    compliance: ComplianceService
    fraud: FraudService
    payments: PaymentService
    batches: BatchService
    reconciliation: ReconciliationService
    financial: FinancialAnalyticsService


def services() -> DonationsServices:
    return services_of(DonationsServices)
