"""The HTML report is self-contained and carries the tables, figures, method and attribution."""

from __future__ import annotations

import json
import math
import re

import pytest

from rescity.assess.adapters.pdf import find_chromium

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html(compared) -> str:
    out, _ = compared
    return (out / "report.html").read_text("utf-8")


def test_the_report_has_every_table(html) -> None:
    for table in ("table-overview", "table-indices", "table-coverage", "table-gaps",
                  "table-catchment", "table-weights", "table-thresholds", "table-composite"):
        assert f'id="{table}"' in html, table
    assert html.count('class="table-siting"') == 4  # two items in two cities
    assert "nanjing_xinjiekou" in html and "beijing_haidian_liudaokou" in html
    assert "0.0795" in html  # a Table 2 weight, from the configuration
    assert "幼儿园" in html and "Kindergarten" in html


def test_the_report_states_its_data_caveats(html) -> None:
    assert 'id="caveats"' in html
    # No --population-total was given: the estimate is called one.
    assert "not calibrated against a census" in html


def test_the_report_credits_openstreetmap(html) -> None:
    assert "© OpenStreetMap contributors" in html
    assert "ODbL" in html


def test_figures_are_embedded_and_nothing_is_fetched_from_elsewhere(compared, html) -> None:
    out, _ = compared
    embedded = re.findall(r'<img src="data:image/(?:svg\+xml|png);base64,', html)
    assert len(embedded) == len(list((out / "figures").glob("*.png"))) >= 20
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_a_pdf_is_printed_when_chromium_is_installed(compared) -> None:
    out, _ = compared
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine")
    pdf = out / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 50_000


def test_the_machine_readable_twin_has_the_siting(compared) -> None:
    out, _ = compared
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert [d["city"] for d in data] == ["nanjing_xinjiekou", "beijing_haidian_liudaokou"]
    assert [s["item"] for s in data[0]["siting"]] == ["kindergarten", "community_health_centre"]
    # Greedy is within its (1 - 1/e) guarantee of the exact optimum, never above it (the
    # ratio depends on the population estimate, so no exact value is pinned).
    assert 1 - 1 / math.e <= data[0]["siting"][0]["greedy_ratio"] <= 1.0 + 1e-9
    assert set(data[0]["catchment"]) == {"medical", "elderly_care"}


def test_without_svg_the_report_embeds_palette_pngs_and_stays_small(compared, tmp_path) -> None:
    """The default report draws each figure once, as a PNG that the HTML and the PDF share:
    no SVG files, and a self-contained HTML of a few MB (SVG maps made it ~12 MB a city)."""
    from typer.testing import CliRunner

    from rescity.cli import app

    out, _ = compared
    result = CliRunner().invoke(app, ["report", str(out), "--out", str(tmp_path), "--no-pdf",
                                      "--item", "kindergarten"])
    assert result.exit_code == 0, result.output
    figures = tmp_path / "figures"
    assert not list(figures.glob("*.svg"))
    pngs = list(figures.glob("*.png"))
    assert len(pngs) >= 15
    html = (tmp_path / "report.html").read_text("utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == len(pngs)
    assert len(html.encode()) <= 3_000_000 * 2  # two cities


def test_the_report_tells_how_many_figures_are_drawn(compared, tmp_path) -> None:
    from rescity.assess.adapters.result_store import load_result
    from rescity.assess.domain.analysis import load_analysis
    from rescity.assess.reporting.report import write_report
    from rescity.assess.services.analyse import analyse_city

    out, _ = compared
    city = load_result(out / "nanjing_xinjiekou")
    acfg = load_analysis(None)
    steps: list[tuple[str, float]] = []
    files = write_report([analyse_city(city, acfg, items=["kindergarten"])], tmp_path, acfg,
                         pdf=False, on_progress=lambda s, f: steps.append((s, f)))
    shares = [f for s, f in steps if s == "figures"]
    assert len(shares) == len(files.figures)  # one report per figure drawn
    assert shares == sorted(shares) and shares[-1] == 1.0
