"""Classification rules, table-driven: OSM tags and Chinese names, both ways."""

from __future__ import annotations

import pytest

from rescity.assess.domain.taxonomy import load_taxonomy, parse_taxonomy
from rescity.core.errors import DataFileError

TAX = load_taxonomy()


def items_of(tags: dict[str, str]) -> set[str]:
    return {TAX.ids[i] for i in TAX.classify(tags)}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "kindergarten"}, "kindergarten"),
        ({"building": "yes", "name": "中国农业大学东校区幼儿园"}, "kindergarten"),
        ({"amenity": "school", "isced:level": "1"}, "primary_school"),
        ({"amenity": "school", "name": "北京石油学院附属小学"}, "primary_school"),
        ({"amenity": "school", "name": "金陵中学"}, "middle_school"),
        ({"amenity": "school", "school": "secondary"}, "middle_school"),
        ({"amenity": "school"}, "primary_school"),
        ({"amenity": "school"}, "middle_school"),
        ({"amenity": "library"}, "library"),
        ({"name": "海淀区图书馆"}, "library"),
        ({"amenity": "arts_centre"}, "cultural_centre"),
        ({"name": "成华区文化馆"}, "cultural_centre"),
        ({"amenity": "community_centre"}, "community_culture_room"),
        ({"name": "学院路社区文化活动室"}, "community_culture_room"),
        ({"leisure": "pitch", "sport": "soccer"}, "sports_field"),
        ({"leisure": "sports_centre"}, "sports_centre"),
        ({"name": "五台山体育馆"}, "sports_centre"),
        ({"leisure": "fitness_station"}, "fitness_spot"),
        ({"name": "社区健身点"}, "fitness_spot"),
        ({"amenity": "townhall"}, "subdistrict_office"),
        ({"office": "government", "name": "学院路街道办事处"}, "subdistrict_office"),
        ({"name": "六道口社区服务中心"}, "community_service_centre"),
        ({"amenity": "social_centre"}, "community_service_centre"),
        ({"amenity": "courthouse"}, "judicial_office"),
        ({"name": "玄武区司法所"}, "judicial_office"),
        ({"amenity": "marketplace"}, "wet_market"),
        ({"name": "八里庄菜市场"}, "wet_market"),
        ({"name": "解放路农贸市场"}, "wet_market"),
        ({"shop": "supermarket"}, "supermarket"),
        ({"name": "物美超市"}, "supermarket"),
        ({"amenity": "nursing_home"}, "elderly_care"),
        ({"amenity": "social_facility", "social_facility:for": "senior"}, "elderly_care"),
        ({"name": "金色年华养老院"}, "elderly_care"),
        ({"name": "中国农业大学东区社区卫生服务中心"}, "community_health_centre"),
        ({"amenity": "doctors"}, "community_health_centre"),
        ({"healthcare": "clinic"}, "community_health_centre"),
        ({"amenity": "hospital"}, "hospital"),
        ({"name": "江苏省中医院"}, "hospital"),
        ({"amenity": "pharmacy"}, "pharmacy"),
        ({"name": "同仁堂大药房"}, "pharmacy"),
        ({"shop": "convenience"}, "daily_supply"),
        ({"leisure": "stadium"}, "shelter"),
        ({"amenity": "school"}, "shelter"),
        ({"place": "square"}, "square"),
        ({"leisure": "park"}, "park"),
        ({"leisure": "park"}, "green_space"),
        ({"name": "人民公园", "tourism": "attraction"}, "park"),
        ({"landuse": "village_green"}, "green_space"),
        ({"leisure": "recreation_ground"}, "green_space"),
        ({"landuse": "forest", "access": "yes"}, "green_space"),
        ({"leisure": "garden", "name": "Jardim de João Chagas"}, "park"),
        ({"leisure": "garden", "garden:type": "botanical"}, "green_space"),
        ({"leisure": "swimming_pool", "access": "public"}, "sports_centre"),
        ({"leisure": "swimming_pool", "name": "Piscine Rainier III"}, "sports_centre"),
        ({"amenity": "school", "name": "人大附中"}, "middle_school"),
        ({"amenity": "school", "name": "清华附小"}, "primary_school"),
        ({"amenity": "school", "name": "南京五中"}, "middle_school"),
        ({"amenity": "school", "name": "第三中心小学"}, "primary_school"),
        ({"amenity": "school", "name": "南京师范大学附属中学"}, "middle_school"),
        ({"amenity": "school", "name": "南京师范大学附属小学"}, "primary_school"),
        ({"railway": "station"}, "rail_station"),
        ({"station": "light_rail", "railway": "station"}, "rail_station"),
        ({"leisure": "swimming_pool", "access": "customers", "name": "Lido"}, "sports_centre"),
        ({"railway": "subway_entrance"}, "rail_station"),
        ({"station": "subway", "public_transport": "station"}, "rail_station"),
        ({"highway": "bus_stop"}, "bus_stop"),
        ({"public_transport": "platform", "bus": "yes"}, "bus_stop"),
    ],
)
def test_tags_and_names_classify_into_the_item(tags: dict[str, str], expected: str) -> None:
    assert expected in items_of(tags)


@pytest.mark.parametrize(
    ("tags", "not_expected"),
    [
        ({"highway": "bus_stop", "name": "人民公园"}, "park"),
        ({"highway": "residential", "name": "中学路"}, "middle_school"),
        ({"railway": "station", "name": "体育中心"}, "sports_centre"),
        ({"amenity": "school", "name": "北京石油学院附属小学"}, "middle_school"),
        ({"amenity": "school", "name": "金陵中学"}, "primary_school"),
        ({"amenity": "school", "isced:level": "1"}, "middle_school"),
        ({"amenity": "restaurant", "name": "老北京炸酱面"}, "wet_market"),
        ({"shop": "clothes", "name": "超级服装店"}, "supermarket"),
        ({"public_transport": "stop_position", "bus": "yes"}, "bus_stop"),
        ({"public_transport": "platform", "tram": "yes"}, "bus_stop"),
        ({"leisure": "park", "access": "private"}, "park"),
        ({"name": "宠物医院", "shop": "pet"}, "hospital"),
        ({"landuse": "residential", "name": "公园小区"}, "park"),
        ({"amenity": "university"}, "primary_school"),
        # Garden pools: a bare basin without access or name, or marked private.
        ({"leisure": "swimming_pool"}, "sports_centre"),
        ({"leisure": "swimming_pool", "access": "private"}, "sports_centre"),
        ({"leisure": "swimming_pool", "name": "Villa pool", "swimming_pool": "private"},
         "sports_centre"),
        # Hotel pools (for guests) and roof pools; private sports centres.
        ({"leisure": "swimming_pool", "access": "customers"}, "sports_centre"),
        ({"leisure": "swimming_pool", "access": "yes", "location": "roof"}, "sports_centre"),
        ({"leisure": "sports_centre", "access": "private"}, "sports_centre"),
        # Stations not in service.
        ({"station": "light_rail", "railway": "proposed"}, "rail_station"),
        ({"station": "subway", "railway": "construction"}, "rail_station"),
        # Countryside is not public green space unless tagged accessible.
        ({"landuse": "forest"}, "green_space"),
        ({"landuse": "meadow"}, "green_space"),
        ({"natural": "scrub"}, "green_space"),
        ({"natural": "wood", "access": "private"}, "green_space"),
        ({"landuse": "grass"}, "green_space"),
        ({"leisure": "garden", "garden:type": "residential"}, "park"),
        ({"leisure": "garden", "garden:type": "residential"}, "green_space"),
        # An unnamed, untagged garden is a back garden; a mall named after its developer
        # (绿地) and a park's gate are not green space.
        ({"leisure": "garden"}, "park"),
        ({"leisure": "garden"}, "green_space"),
        ({"building": "commercial", "name": "绿地红星国际广场"}, "green_space"),
        ({"access": "no", "entrance": "yes", "name": "人民公园东门"}, "park"),
        ({"barrier": "gate", "name": "百花潭公园北门"}, "green_space"),
        # 附中 is a middle school, 附小 a primary school; art and vocational schools are
        # neither.
        ({"amenity": "school", "name": "人大附中"}, "primary_school"),
        ({"amenity": "school", "name": "清华附小"}, "middle_school"),
        ({"amenity": "school", "name": "北京市工艺美术职业学校"}, "primary_school"),
        ({"amenity": "school", "name": "北京市工艺美术职业学校"}, "middle_school"),
        ({"amenity": "school", "name": "成都市艺术学校"}, "primary_school"),
        ({"amenity": "school", "name": "成都市艺术学校"}, "middle_school"),
        ({"name": "成都市职业中学"}, "middle_school"),
        # Schools not for children (Nanjing, Chengdu): party, teacher-training, TV-university
        # schools and a campus building; "X中" is a middle school, not a primary one.
        ({"amenity": "school", "name": "秦淮区委党校"}, "primary_school"),
        ({"amenity": "school", "name": "秦淮区委党校"}, "middle_school"),
        ({"amenity": "school", "name": "成华区教师进修学校"}, "middle_school"),
        ({"amenity": "school", "name": "南京幼儿高等师范学校"}, "primary_school"),
        ({"amenity": "school", "name": "四川电大省级机关分校"}, "middle_school"),
        ({"amenity": "school", "name": "Academic Hall. 5th Teaching Building"}, "primary_school"),
        ({"amenity": "school", "name": "南京五中"}, "primary_school"),
        ({"amenity": "school", "name": "成都49中"}, "primary_school"),
        ({"amenity": "school", "name": "成都市四十四中"}, "primary_school"),
    ],
)
def test_lookalikes_are_not_classified_into_the_item(
    tags: dict[str, str], not_expected: str
) -> None:
    assert not_expected not in items_of(tags)


def test_the_table_has_the_sixteen_table_2_items_and_bilingual_names() -> None:
    basic = [i for i in TAX.items if i.group in {
        "education", "culture", "sports", "administration", "commerce", "elderly_care",
        "medical"}]
    assert len(basic) == 16
    assert all(i.zh and i.en for i in TAX.items)


def test_a_malformed_rule_table_names_the_file_and_item() -> None:
    with pytest.raises(DataFileError, match=r"item .x.*unknown key"):
        parse_taxonomy({"item": [{"id": "x", "en": "X", "zh": "X", "group": "g",
                                  "rule": [{"tagz": {}}]}]}, "my.toml")
