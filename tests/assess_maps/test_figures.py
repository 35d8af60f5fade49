"""Figures: files exist at the expected size, are not blank, and show Chinese text."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from rescity.assess.reporting.style import CJK_FONT, DPI, cjk_font, figure_style, save

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def figures(compared) -> list[Path]:
    out, _ = compared
    return sorted((out / "figures").glob("*.png"))


def pixel_stats(path: Path) -> tuple[tuple[int, int], float, int]:
    img = np.asarray(Image.open(path).convert("RGB"))
    non_white = float((img.min(axis=2) < 240).mean())
    packed = img.reshape(-1, 3)[::7].astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    colours = len(np.unique(packed))
    return (img.shape[1], img.shape[0]), non_white, colours


def test_the_cjk_font_is_found() -> None:
    assert cjk_font() == CJK_FONT


def test_every_figure_is_written_as_png_and_svg(figures) -> None:
    names = {p.stem for p in figures}
    for city in ("nanjing_xinjiekou", "beijing_haidian_liudaokou"):
        for index in ("life_service", "disaster", "transport", "environment",
                      "health_resilience"):
            assert f"{city}-map-{index}" in names
        assert f"{city}-surface-life_service" in names
        assert f"{city}-gaps-kindergarten" in names
        assert f"{city}-gaps-community_health_centre" in names
    assert {"compare-index-boxplots", "compare-class-boxplots", "compare-coverage",
            "compare-low-share"} <= names
    for png in figures:
        assert png.stat().st_size > 10_000
        svg = png.with_suffix(".svg")
        assert svg.read_text("utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_maps_have_the_expected_size_and_real_content(figures) -> None:
    for png in figures:
        size, non_white, colours = pixel_stats(png)
        if "-map-" in png.name or "-surface-" in png.name or "-gaps-" in png.name:
            assert size == (8 * DPI, 7 * DPI), png.name
        assert non_white > 0.03, f"{png.name} is almost blank"
        assert colours > 30, f"{png.name} has too few colours"


def test_an_interpolated_surface_is_mostly_colour_not_just_lines(figures) -> None:
    surface = next(p for p in figures if p.stem.endswith("nanjing_xinjiekou-surface-life_service"))
    _, non_white, _ = pixel_stats(surface)
    assert non_white > 0.12


def test_no_glyph_is_missing_and_the_svg_draws_chinese_with_the_cjk_font(compared,
                                                                        figures) -> None:
    _, cap = compared
    messages = [m.lower() for m in cap.warnings + cap.logs]
    assert [m for m in messages if "missing" in m and "glyph" in m] == []
    assert [m for m in messages if "findfont" in m and "not found" in m] == []
    for png in figures:
        assert "NotoSansCJKsc" in png.with_suffix(".svg").read_text("utf-8"), png.name


def test_the_glyph_check_would_catch_a_font_without_chinese(tmp_path) -> None:
    with warnings.catch_warnings(record=True) as caught, mpl.rc_context(
            {"font.family": "DejaVu Sans"}):
        warnings.simplefilter("always")
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "生活服务")
        fig.savefig(tmp_path / "x.png")
    assert any("Glyph" in str(w.message) and "missing" in str(w.message) for w in caught)


def test_saving_restores_matplotlib_settings(tmp_path) -> None:
    before = list(mpl.rcParams["font.sans-serif"])
    with figure_style():
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "韧性 resilience")
        save(fig, tmp_path, "x", "x")
    assert list(mpl.rcParams["font.sans-serif"]) == before


def test_a_font_cache_older_than_the_cjk_font_does_not_hide_it(monkeypatch) -> None:
    # A machine where matplotlib built its font cache before fonts-noto-cjk was installed:
    # the cache lists no CJK font, though the file is on disk.
    from matplotlib import font_manager

    from rescity.assess.reporting import style

    if not style.cjk_font_files():
        pytest.skip("no CJK font installed on this machine")
    stale = font_manager.FontManager()
    stale.ttflist = [f for f in stale.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    style.cjk_font.cache_clear()
    try:
        name = style.cjk_font()
        assert name is not None and "CJK" in name
        assert name in {f.name for f in stale.ttflist}
        path = stale.findfont(font_manager.FontProperties(family=name),
                              fallback_to_default=False)
        assert "CJK" in path
    finally:
        style.cjk_font.cache_clear()
