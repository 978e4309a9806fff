from app.donations.controllers import batch, compliance, donations, financial, onlus, payments, rates, wallet

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
    financial.blp,
)
