"""Tag rules for themes the seed collection barely touches (audit of issue #17): waste
sorting, elderly care, public transport, affordable housing, old-neighbourhood renewal, air
quality and local commerce. Each text was left without its Guangzhou Award theme before
the rules existed."""

from __future__ import annotations

import pytest

from rescity.knowledge.domain.taxonomy import auto_tags

CASES = [
    ("Residents separate household waste into four bins; less goes to landfill.", "gz-environment"),
    ("推行生活垃圾分类，厨余垃圾就地处理", "gz-environment"),
    ("Day care centres and home-based care let older people stay in their flats.", "gz-health"),
    ("社区养老服务中心为老年人提供助餐服务", "gz-inclusion"),
    ("Feeder buses bring riders to metro stations; one ticket for both.", "gz-mobility"),
    ("优化公共交通线网，提升地铁接驳", "gz-mobility"),
    ("The city converts empty offices into affordable housing for key workers.", "gz-inclusion"),
    ("Owners vote on works to upgrade old residential blocks built in the 1980s.", "gz-renewal"),
    ("城中村综合整治与老旧小区改造", "gz-renewal"),
    ("Replacing coal stoves cut winter smog and PM2.5 levels.", "gz-environment"),
    ("治理大气污染，改善空气质量", "gz-environment"),
    ("Licensed street vending and a night market bring back small businesses.", "gz-economy"),
]


@pytest.mark.parametrize(("text", "tag"), CASES)
def test_theme_is_tagged(text: str, tag: str) -> None:
    """The record's main theme is in its tags."""
    assert tag in auto_tags(text)


def test_ageing_buildings_are_not_elderly_care() -> None:
    """ "Ageing" pipes and compounds say nothing about older people."""
    tags = auto_tags("Ageing compounds get new pipes; the ageing drainage network is replaced.")
    assert "gz-health" not in tags and "gz-inclusion" not in tags
