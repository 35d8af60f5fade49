"""Both catalogs carry the same keys, and every key a template uses exists."""

import re
from pathlib import Path

import pytest

from rescity.core.i18n import catalog, negotiate, translator

# A call of the translator t("some.key"), not of any function whose name ends in t.
KEY_CALL = r"""(?<![\w.])t\(\s*["']([a-z0-9_.]*[a-z0-9_])["']"""
TEMPLATES = Path(__file__).resolve().parents[2] / "rescity" / "web" / "templates"


def test_zh_and_en_catalogs_have_the_same_keys() -> None:
    assert set(catalog("zh")) == set(catalog("en"))


def test_every_key_used_in_a_template_is_in_the_catalogs() -> None:
    used = set()
    for path in TEMPLATES.rglob("*.html"):
        used |= set(
            re.findall(KEY_CALL, path.read_text("utf-8"))
        )
    assert used, "no template uses the catalogs"
    missing = sorted(k for k in used if k not in catalog("en"))
    assert missing == []


def test_parameters_are_filled_in() -> None:
    assert translator("en")("home.welcome", name="Li") == "Welcome, Li"
    assert translator("zh")("home.welcome", name="李") == "欢迎，李"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh"),
        ("fr-FR", "zh"),
        (None, "zh"),
        ("de;q=0.9,en;q=0.8", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, lang: str) -> None:
    assert negotiate(header, "zh") == lang


def test_every_role_has_a_name_in_both_languages() -> None:
    from rescity.core.security.policy import Role

    for lang in ("zh", "en"):
        assert all(f"role.{r.value}" in catalog(lang) for r in Role)
