from app.donations.controllers import donations, onlus, rates, wallet

BLUEPRINTS = (wallet.blp, wallet.admin_blp, rates.blp, onlus.blp, onlus.admin_blp, donations.blp,
              donations.admin_blp)
