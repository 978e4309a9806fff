import pytest

from config.settings import DEV_JWT_SECRET, ConfigError, build_config


def test_development_defaults_match_the_documented_environment():
    config = build_config(environ={})
    assert config["APP_ENV"] == "development"
    assert config["PORT"] == 5003
    assert config["SEED_DEMO_DATA"] is True
    assert config["RATELIMIT_ENABLED"] is True
    assert config["CORS_ORIGINS"] == ["http://localhost:3000"]
    assert config["MAX_CONTENT_LENGTH"] > 0


def test_environment_variables_override_defaults():
    config = build_config(
        environ={
            "PORT": "6000",
            "SEED_DEMO_DATA": "0",
            "RATELIMIT_ENABLED": "false",
            "CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert config["PORT"] == 6000
    assert config["SEED_DEMO_DATA"] is False
    assert config["RATELIMIT_ENABLED"] is False
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(environ={"APP_ENV": "production"})


def test_production_refuses_development_secret_values():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        build_config(environ={"APP_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": DEV_JWT_SECRET})


PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "MAIL_SERVER": "smtp.example",
}
STRIPE = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}


def test_production_with_strong_secrets_never_runs_debug():
    config = build_config(environ={**PRODUCTION, **STRIPE})
    assert config["DEBUG"] is False
    assert config["LOG_JSON"] is True
    assert config["PAYMENTS_PROVIDER"] == "stripe"


def test_production_refuses_to_simulate_payments_unless_chosen_on_purpose():
    with pytest.raises(ConfigError, match="PAYMENTS_PROVIDER=simulated"):
        build_config(environ=PRODUCTION)
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        build_config(environ={**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x"})
    with pytest.raises(ConfigError, match="PAYMENTS_PROVIDER=stripe"):
        build_config(environ={**PRODUCTION, "PAYMENTS_PROVIDER": "stripe"})
    with pytest.raises(ConfigError, match="PAYMENTS_PROVIDER must be one of"):
        build_config(environ={**PRODUCTION, "PAYMENTS_PROVIDER": "paypal"})
    assert build_config(environ={**PRODUCTION, "PAYMENTS_PROVIDER": "simulated"})["PAYMENTS_PROVIDER"] == "simulated"


def test_production_refuses_to_start_without_a_mail_server_unless_told_to_keep_mail():
    without_mail = {k: v for k, v in {**PRODUCTION, **STRIPE}.items() if k != "MAIL_SERVER"}
    with pytest.raises(ConfigError, match="MAIL_SERVER, or MAIL_SUPPRESS_SEND=1"):
        build_config(environ=without_mail)
    assert build_config(environ={**without_mail, "MAIL_SUPPRESS_SEND": "1"})["MAIL_SUPPRESS_SEND"] is True
    assert build_config(environ={**PRODUCTION, **STRIPE})["MAIL_SERVER"] == "smtp.example"


def test_outside_production_the_provider_follows_the_stripe_key():
    assert build_config(environ={})["PAYMENTS_PROVIDER"] == "simulated"
    assert build_config(environ={"STRIPE_SECRET_KEY": "sk_test_x"})["PAYMENTS_PROVIDER"] == "stripe"


def test_unknown_app_env_is_a_clear_error():
    with pytest.raises(ConfigError, match="APP_ENV"):
        build_config(environ={"APP_ENV": "staging"})


def test_malformed_port_is_a_clear_error():
    with pytest.raises(ConfigError, match="PORT"):
        build_config(environ={"PORT": "fifty"})


def test_fraud_limits_come_from_a_json_object_in_the_environment():
    config = build_config(environ={"DONATION_FRAUD_LIMITS": '{"donations_per_ip_hour": 100}'})
    assert config["DONATION_FRAUD_LIMITS"] == {"donations_per_ip_hour": 100}
    for bad in ("{not json", "[1, 2]"):
        with pytest.raises(ConfigError, match="DONATION_FRAUD_LIMITS"):
            build_config(environ={"DONATION_FRAUD_LIMITS": bad})
