"""Bad configuration stops start-up with a message naming the setting."""

from pathlib import Path

import pytest

from rescity.core.config import load_settings
from rescity.core.errors import ConfigError


def test_defaults_put_the_database_under_the_xdg_data_dir(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/rescity/rescity.sqlite3"


def test_environment_overrides_the_file(monkeypatch, tmp_path) -> None:
    cfg = tmp_path / "rescity.toml"
    cfg.write_text('port = 9000\ndefault_language = "en"\n')
    monkeypatch.setenv("RESCITY_PORT", "9100")
    settings = load_settings(cfg)
    assert settings.port == 9100 and settings.default_language == "en"


def test_a_wrong_value_names_the_setting_and_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("RESCITY_PORT", "seventy")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "setting 'port' (RESCITY_PORT)" in str(info.value)
    assert "integer" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('port = 0\ndefault_language = "fr"\ncolour = "red"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    where = {p.where.split()[1] for p in info.value.problems}
    assert where == {"'port'", "'default_language'", "'colour'"}
    assert "unknown setting" in str(info.value)
    assert str(cfg) in str(info.value)


def test_a_malformed_file_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.toml"
    cfg.write_text("port = = 3\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_settings(cfg)


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environment="production")
    text = str(info.value)
    assert "secret_key" in text and "data_keys" in text and "cookie_secure" in text


def test_a_database_url_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="mysql://x")
