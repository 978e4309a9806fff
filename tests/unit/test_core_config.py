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


def test_production_with_strong_secrets_never_runs_debug():
    config = build_config(environ={"APP_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40})
    assert config["DEBUG"] is False
    assert config["LOG_JSON"] is True


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
