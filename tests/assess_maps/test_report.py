"""The HTML report is self-contained and carries the tables, figures, method and attribution."""

from __future__ import annotations

import re

import pytest

from rescity.assess.adapters.pdf import find_chromium
from rescity.assess.domain.analysis import build_analysis
from rescity.assess.reporting.report import write_report
from rescity.assess.services.analyse import analyse_city

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(cities, tmp_path_factory):
    analysis = build_analysis()
    analyses = [analyse_city(c, analysis, items=["kindergarten"], k=3) for c in cities.values()]
    out = tmp_path_factory.mktemp("report")
    files = write_report(analyses, out, analysis, lang="en", pdf=find_chromium() is not None)
    return files, files.html.read_text("utf-8")


def test_the_report_has_every_table(report) -> None:
    _, html = report
    for table in ("table-overview", "table-indices", "table-coverage", "table-gaps",
                  "table-catchment", "table-weights", "table-thresholds", "table-composite"):
        assert f'id="{table}"' in html, table
    assert html.count('class="table-siting"') == 2  # kindergarten in both cities
    assert "nanjing_xinjiekou" in html and "beijing_haidian_liudaokou" in html
    assert "0.0795" in html  # a Table 2 weight, from the configuration


def test_the_report_credits_openstreetmap(report) -> None:
    _, html = report
    assert "© OpenStreetMap contributors" in html
    assert "ODbL" in html


def test_figures_are_embedded_and_nothing_is_fetched_from_elsewhere(report) -> None:
    files, html = report
    embedded = re.findall(r'<img src="data:image/(svg\+xml|png);base64,', html)
    assert len(embedded) == len(files.figures) >= 10
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_a_pdf_is_printed_when_chromium_is_installed(report) -> None:
    files, _ = report
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine")
    assert files.pdf is not None
    assert files.pdf.read_bytes()[:5] == b"%PDF-"
    assert files.pdf.stat().st_size > 50_000


def test_the_machine_readable_twin_has_the_same_siting(report) -> None:
    import json

    files, _ = report
    data = json.loads(files.json.read_text("utf-8"))
    assert [d["city"] for d in data] == ["nanjing_xinjiekou", "beijing_haidian_liudaokou"]
    assert data[0]["siting"][0]["item"] == "kindergarten"
    assert data[0]["siting"][0]["greedy_ratio"] == pytest.approx(1.0)


def test_the_chinese_report_is_in_chinese(cities, tmp_path) -> None:
    analysis = build_analysis()
    one = [analyse_city(cities["beijing_haidian_liudaokou"], analysis, items=[], k=1)]
    files = write_report(one, tmp_path, analysis, lang="zh", pdf=False)
    html = files.html.read_text("utf-8")
    assert "15分钟生活圈与韧性评估" in html
    assert "OpenStreetMap 贡献者" in html
