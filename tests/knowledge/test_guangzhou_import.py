"""The Guangzhou Award importer, case by case on the shared collection, then on odd layouts.

Expected values were read off the seed text by hand (line numbers in comments).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.core.errors import DataFileError
from rescity.knowledge.adapters.importers import guangzhou
from rescity.knowledge.domain.model import ImportResult

# key, city_en, city_zh, title, population, area km², stated density, GDP/capita (USD),
# growth %, main sources of prosperity, scope note
CASES = [
    (
        "gz6-xianning",
        "Xianning",
        "咸宁",  # lines 54-84
        "Enhancing Traffic Safety Near Schools Through Child-friendly Collaborative Construction "
        "and Sharing Approach",
        3_036_100,
        9752,
        268,
        8590,
        None,
        ["Agriculture", "Tourism", "Public Health related Services"],
        "",
    ),
    (
        "gz6-shanghai",
        "Shanghai",
        "上海",  # lines 156-182
        "Century-old Zhangyuan and Its Journey of Renewal",
        24_894_300,
        6340.5,
        3926,
        26900,
        None,
        ["Finance", "High-end manufacturing", "Wholesale and retail trade", "Real estate"],
        "",
    ),
    (
        "gz6-guangzhou",
        "Guangzhou",
        "广州",  # lines 241-262; title rejoined with its hyphen
        "Integrated and Smart Neonatal Health Management System-empowering Mothers, the Family "
        "and the Community",
        18_734_000,
        7434.40,
        2530,
        20943.8,
        None,
        ["Advanced Manufacturing Industry", "High-technology Industry"],
        "",
    ),
    (
        "gz6-bijie",
        "Bijie",
        "毕节",  # lines 356-380: "2, 868" and "4, 080"
        "Comprehensive Water Environment Management Project",
        1_263_700,
        2868,
        4080,
        4080,
        None,
        ["Industry", "Tourism", "Agriculture"],
        "",
    ),
    (
        "gz6-dalian",
        "Dalian",
        "大连",  # lines 439-463: district figures, GDP "(Dalian)"
        "Improving Responsiveness, Accountability and Transparency for Good Urban Governance",
        471_200,
        47.41,
        9939,
        16725,
        None,
        ["Equipment manufacturing", "Petrochemical and electronic information"],
        "Zhongshan District of Dalian",
    ),
    (
        "gz6-dongguan",
        "Dongguan",
        "东莞",  # lines 507-525: no title above, from CONTENTS
        "Smart Network Project",
        10_440_000,
        2542.67,
        4282.6,
        14966,
        None,
        ["Manufacturing industry"],
        "",
    ),
    (
        "gz6-fuzhou",
        "Fuzhou",
        "福州",  # lines 573-597: GDP missing
        "Intelligent Water Governance System for a Liveable and Resilient City",
        3_050_000,
        333,
        9159,
        None,
        None,
        [
            "Electronic information",
            "Advanced equipment",
            "Petrochemical",
            "Modern textile and clothing",
        ],
        "",
    ),
    (
        "gz6-haikou",
        "Haikou",
        "海口",  # lines 649-665: "2.908million"
        "Protection of Blue-Tailed Bee-Eaters in the Lower Reaches of Haikou's Wuyuan River",
        2_908_000,
        2296.82,
        1280,
        10037.96,
        None,
        ["Trade", "Tourism"],
        "",
    ),
    (
        "gz6-harbin",
        "Harbin",
        "哈尔滨",  # lines 717-735
        "Patent Navigation Facilitating Innovation and Development for Enterprises in Northeast "
        "China's Old Industrial Bases",
        9_395_000,
        53076,
        177,
        8658.07,
        None,
        ["Manufacturing industry", "New materials industry", "Biopharmaceutical industry"],
        "",
    ),
    (
        "gz6-hong-kong",
        "Hong Kong",
        "香港",  # lines 777-805: no title above, from CONTENTS
        "Transitional Housing",
        7_553_000,
        1107,
        7193.1,
        49180.1,
        0.80,
        [
            "Trading and logistics",
            "Financial Services",
            "Professional Services and other Producer Services",
            "Tourism",
        ],
        "",
    ),
    (
        "gz6-nanjing",
        "Nanjing",
        "南京",  # lines 865-885: GDP and prosperity empty
        "Xiaosongtao Lane Urban Regeneration Project",
        9_491_100,
        6587.04,
        1441,
        None,
        0.72,
        [],
        "",
    ),
    (
        "gz6-shijiazhuang",
        "Shijiazhuang",
        "石家庄",  # lines 960-988: GINI line empty
        "The Application of Urban Renewal Strategy",
        11_224_000,
        14530,
        772.5,
        7910,
        0.22,
        ["Industry", "Agriculture", "Finance industry", "Transportation industry"],
        "",
    ),
]


@pytest.fixture(scope="module")
def parsed(seeds_dir: Path) -> ImportResult:
    return guangzhou.parse(seeds_dir / "guangzhou-award-6th-chinese-initiatives.txt")


def test_the_collection_yields_every_case_once_in_document_order(parsed: ImportResult) -> None:
    assert [i.key for i in parsed.initiatives] == [c[0] for c in CASES]


@pytest.mark.parametrize(
    (
        "key",
        "city_en",
        "city_zh",
        "title",
        "population",
        "area",
        "density",
        "gdp",
        "growth",
        "prosperity",
        "scope",
    ),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_each_case_has_its_city_title_and_every_basic_figure(
    parsed: ImportResult,
    key: str,
    city_en: str,
    city_zh: str,
    title: str,
    population: int,
    area: float,
    density: float,
    gdp: float | None,
    growth: float | None,
    prosperity: list[str],
    scope: str,
) -> None:
    item = next(i for i in parsed.initiatives if i.key == key)
    city = next(c for c in parsed.cities if c.key == item.city_key)
    assert (city.name_en, city.name_zh, city.country) == (city_en, city_zh, "CN")
    assert item.title_en == title
    assert item.title_zh.startswith(city_zh + "：")
    profile = parsed.profiles[item.city_key]
    assert profile.population == population
    assert profile.land_area_km2 == pytest.approx(area)
    assert profile.stated_density == pytest.approx(density)
    assert profile.gdp_per_capita == (pytest.approx(gdp) if gdp is not None else None)
    assert profile.gdp_currency == "USD"
    assert profile.growth_rate_pct == (pytest.approx(growth) if growth is not None else None)
    assert profile.prosperity == prosperity
    assert profile.scope_note == scope
    assert profile.density == pytest.approx(population / area)


@pytest.mark.parametrize("key", [c[0] for c in CASES])
def test_each_case_has_its_main_sections(parsed: ImportResult, key: str) -> None:
    item = next(i for i in parsed.initiatives if i.key == key)
    assert len(item.summary_en) > 300
    assert len(item.abstract_en) > 300
    assert len(item.background_en) > 300
    assert len(item.key_measures_en) >= 2
    assert len(item.outcomes_en) > 300
    assert "BASIC CITY DATA" not in item.summary_en.upper()
    assert "Population size" not in item.summary_en + item.abstract_en
    assert item.tags, "auto-tagged on import"


def test_sections_are_split_into_their_fields(parsed: ImportResult) -> None:
    xianning = parsed.initiatives[0]
    assert xianning.abstract_en.startswith("In China, traffic congestion and safety concerns")
    assert xianning.background_en.startswith("Traffic congestion around city schools")
    assert xianning.innovative_aspects_en.startswith('1.Approaching the project from a "one-meter')
    assert xianning.lessons_en.startswith("Due to the spread of the COVID-19 pandemic")
    # a paragraph cut by a page break is rejoined
    assert "an entire street in the neighbouring estate" in " ".join(xianning.key_measures_en)
    shanghai = parsed.initiatives[1]
    assert shanghai.key_measures_en[2].startswith("Retain the original appearance")


def test_outcome_figures_are_structured(parsed: ImportResult) -> None:
    figures = {f.indicator: f for f in parsed.initiatives[0].figures}
    walking = figures["proportion of students walking to school"]
    assert (walking.baseline, walking.value, walking.unit) == (30, 95, "%")
    cars = figures["number of private cars for student drop-offs"]
    assert (cars.baseline, cars.value, cars.unit) == (120, 8, "cars per hour")
    guangzhou_fig = next(
        f for f in parsed.initiatives[2].figures if f.indicator.startswith("number of hospital")
    )
    assert (
        guangzhou_fig.baseline,
        guangzhou_fig.value,
        guangzhou_fig.year,
        guangzhou_fig.baseline_year,
    ) == (30, 0, 2022, 2020)


def test_the_report_lists_everything_not_parsed_with_its_line(parsed: ImportResult) -> None:
    issues = {(i.line, i.case, i.field) for i in parsed.issues}
    assert (593, "Fuzhou", "gdp_per_capita") in issues
    assert (883, "Nanjing", "gdp_per_capita") in issues
    assert (507, "Dongguan", "title") in issues
    assert (777, "Hong Kong", "title") in issues
    assert (960, "Shijiazhuang", "title") in issues
    assert (376, "Bijie", "stated_density") in issues  # 4, 080 vs 441 derived
    assert (924, "Nanjing", "page header") in issues  # a stray HONG KONG, CHINA header
    assert (451, "Dalian", "basic city data") in issues


SYNTHETIC = """\
The 7th Guangzhou International Award for Urban Innovation: Test Collection

CONTENTS

01\tAlphaville: Listed Title From Contents

Basic City Data

Population size: 1.2 million Surface Area (sq. km): 2, 345 \
Population Density (people/sq.km): 512 GDP Per Capita (U.S.$): 12,500 (metropolitan area)

Main Source of Prosperity: Shipping,

logistics

Green Roofs for Everyone

🏙 Betatown, China

A short jury summary of the Betatown case.

Abstract

Betatown put green roofs on every school.

Key Measures

1. Subsidies for roofs.
2. A roof register.

Desired Change Or Outcome

The share of green roofs increased from 5% to 40% in 2024.



A summary paragraph of a case whose title is missing and which the contents list instead.

🚲 Alphaville, China

BASIC CITY DATA

Population size: abc

Surface Area (sq.km):

Population Density (people/sq.km): 300

Main Source of Prosperity: Trade

ALPHAVILLE, CHINA

Abstract

Alphaville does things.

Key measures

Walking buses.

Lessons

Start small.

Gammaford, China

Abstract

No data block and no title anywhere.
"""


@pytest.fixture
def synthetic(tmp_path: Path) -> ImportResult:
    path = tmp_path / "collection.txt"
    path.write_text(SYNTHETIC, encoding="utf-8")
    return guangzhou.parse(path)


def test_a_case_no_rule_tags_is_flagged_in_the_report(synthetic: ImportResult) -> None:
    untagged = {i.key for i in synthetic.initiatives if not i.tags}
    assert untagged  # "Alphaville does things" names no theme
    flagged = {i.case for i in synthetic.issues if i.field == "tags"}
    assert len(flagged) == len(untagged)


def test_a_data_block_before_its_title_goes_to_the_case_after_it(synthetic: ImportResult) -> None:
    beta = next(i for i in synthetic.initiatives if i.city_key == "betatown")
    assert beta.key == "gz7-betatown"
    assert beta.year is None  # the 7th award has no year in the table yet
    assert beta.title_en == "Green Roofs for Everyone"
    profile = synthetic.profiles["betatown"]
    assert profile.population == 1_200_000
    assert profile.land_area_km2 == 2345
    assert profile.stated_density == 512
    assert profile.gdp_per_capita == 12500
    assert profile.notes["gdp_per_capita"] == "metropolitan area"
    assert profile.prosperity == ["Shipping", "Logistics"]
    assert beta.key_measures_en == ["Subsidies for roofs.", "A roof register."]
    fig = beta.figures[0]
    assert (fig.indicator, fig.baseline, fig.value, fig.year) == (
        "share of green roofs",
        5,
        40,
        2024,
    )


def test_broken_and_missing_figures_are_reported_not_guessed(synthetic: ImportResult) -> None:
    alpha = next(i for i in synthetic.initiatives if i.city_key == "alphaville")
    assert alpha.title_en == "Listed Title From Contents"
    profile = synthetic.profiles["alphaville"]
    assert profile.population is None
    assert profile.land_area_km2 is None
    assert profile.stated_density == 300
    assert profile.gdp_per_capita is None
    messages = {(i.case, i.field): i.message for i in synthetic.issues}
    assert messages[("Alphaville", "population")] == "not a number: 'abc'"
    assert messages[("Alphaville", "land_area_km2")] == "empty"
    assert messages[("Alphaville", "gdp_per_capita")] == "not given"
    assert ("Alphaville", "city") in messages  # no Chinese name known
    assert alpha.lessons_en == "Start small."


def test_a_case_without_title_or_data_is_still_imported_and_reported(
    synthetic: ImportResult,
) -> None:
    gamma = next(i for i in synthetic.initiatives if i.city_key == "gammaford")
    assert gamma.title_en == "Gammaford initiative"
    fields = {i.field for i in synthetic.issues if i.case == "Gammaford"}
    assert {"title", "basic city data", "key_measures"} <= fields


def test_a_file_without_cases_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("Just a note.\nNothing else.\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        guangzhou.parse(path)
    assert err.value.path == str(path)
    assert err.value.line == 1
    assert "no case found" in str(err.value)


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Line one\nLine two\nCaf\xe9, China\n".encode("latin-1"))
    with pytest.raises(DataFileError) as err:
        guangzhou.parse(path)
    assert err.value.line == 3
    assert "latin1.txt:3" in str(err.value)
