from app.donations.controllers.compliance import compliance
from app.donations.controllers.donations import donations, onlus
from app.donations.controllers.payments import payments
from app.donations.controllers.treasury import batch, disbursements, financial
from app.donations.controllers.wallet import rates, wallet

BLUEPRINTS = (
    wallet.blp,
    wallet.admin_blp,
    rates.blp,
    onlus.blp,
    onlus.admin_blp,
    donations.blp,
    donations.admin_blp,
    payments.blp,
    payments.admin_blp,
    compliance.blp,
    batch.blp,
    disbursements.blp,
    disbursements.admin_blp,
    financial.blp,
)
