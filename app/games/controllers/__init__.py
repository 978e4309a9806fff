"""HTTP routes of the games module (flask-smorest blueprints)."""
