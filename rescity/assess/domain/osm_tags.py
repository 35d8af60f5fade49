"""What an OSM object's tags say to the assessment: pure rules, no I/O.

The reader (``adapters/osm_reader.py``) runs these once per distinct tag set of a file: which
facility items a node, way or relation is, whether a highway is walkable, whether a node is an
establishment (something that uses floor space), a building's storeys and use, water and land
use, place names. Kept apart from the reading so the rules can be read, tested and changed
without the file format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from rescity.assess.domain.taxonomy import Taxonomy
from rescity.assess.domain.walkable import walk_exclusion

RESIDENTIAL_BUILDINGS = frozenset({
    "residential", "apartments", "house", "detached", "terrace", "semidetached_house",
    "dormitory", "bungalow", "farm", "cabin", "static_caravan", "houseboat",
})
# Keys the rules read besides the taxonomy's: the reader keeps only objects with one of them.
EXTRA_KEYS = ("highway", "landuse", "building", "type", "building:levels", "tourism", "craft",
              "office", "shop", "amenity", "healthcare", "natural", "waterway", "place")
# Context drawn on maps from the extract itself (no remote tiles): water and place names.
PLACES = ("city", "town", "suburb", "quarter", "village", "neighbourhood")
# A building or a node inside one with any of these keys hosts something other than dwellings.
NON_RESIDENTIAL_KEYS = ("shop", "office", "amenity", "tourism", "craft", "healthcare", "historic",
                        "man_made", "leisure", "religion", "industrial", "military", "railway",
                        "public_transport", "emergency", "aeroway", "power")
POI_KEYS = ("shop", "office", "amenity", "tourism", "craft", "healthcare")
# Mapped objects under those keys that occupy no floor space: street furniture, parking,
# signposts and outdoor sights (OSM wiki, amenity "Facilities" / "Waste management" / "Others"
# and tourism=information …). They are not establishments, so they neither claim floor
# area from housing nor make a building mixed use (services/dwellings.py).
NOT_ESTABLISHMENTS = {
    "amenity": frozenset({
        "bench", "waste_basket", "waste_disposal", "recycling", "vending_machine",
        "bicycle_parking", "motorcycle_parking", "parking", "parking_entrance", "parking_space",
        "telephone", "fountain", "drinking_water", "water_point", "post_box", "letter_box",
        "atm", "toilets", "shelter", "clock", "bicycle_rental", "charging_station", "taxi",
        "grit_bin", "hunting_stand", "public_bookcase", "bbq", "dog_toilet", "lounger",
        "photo_booth", "ticket_validator", "car_sharing", "give_box", "compressed_air",
        "parcel_locker", "payment_terminal", "table", "smoking_area", "trolley_bay",
        "device_charging_station", "bicycle_repair_station", "kneipp_water_cure", "watering_place",
        "loading_dock", "boat_storage", "bus_stop", "ferry_terminal", "grave_yard",
        "sanitary_dump_station", "waste_transfer_station", "street_lamp", "hitching_post",
        "feeding_place", "animal_shelter_box", "water_tap", "urinal", "shower", "bicycle_wash",
    }),
    "tourism": frozenset({
        "information", "artwork", "viewpoint", "picnic_site", "camp_site", "caravan_site",
        "camp_pitch", "attraction", "yes",
    }),
}
METRES_PER_STOREY = 3.0
_POI_SET = frozenset(POI_KEYS)
_NAN = float("nan")
_NON_RES_SET = frozenset(NON_RESIDENTIAL_KEYS)


def number(raw: str) -> float:
    """A tag's leading number (``"12;14"``, ``"9 m"`` …), NaN when there is none."""
    if not raw:
        return _NAN  # most buildings: no raise and catch
    try:
        return float(raw.split(";")[0].strip().removesuffix("m").strip())
    except ValueError:
        return float("nan")


def levels(tags: Mapping[str, str]) -> float:
    """Storeys above ground: ``building:levels``, else ``height`` at 3 m a storey."""
    value = number(tags.get("building:levels", ""))
    if not 0 < value < 200:
        height = number(tags.get("height", ""))
        if height != height:
            return _NAN
        value = round(height / METRES_PER_STOREY) if height > 0 else float("nan")
    return value if 0 < value < 200 else float("nan")


def is_establishment(tags: Mapping[str, str]) -> bool:
    """Whether a node's tags say it is a shop, office, restaurant, practice … (something that
    uses floor space), not street furniture or an outdoor sight (:data:`NOT_ESTABLISHMENTS`).
    A node is one when any of its POI keys has a value outside that list."""
    for key in POI_KEYS:
        value = tags.get(key)
        if value is not None and value not in NOT_ESTABLISHMENTS.get(key, ()):
            return True
    return False


def building_use(tags: Mapping[str, str]) -> str:
    """What a building's own tags say about its use (evidence for ``building=yes``)."""
    if (tags.get("building:use") in ("residential", "apartments") or "residential" in tags
            or number(tags.get("building:flats", "")) > 0):
        return "residential"
    if not _POI_SET.isdisjoint(tags):
        return "service"  # a shop, office or amenity in (or as) the building
    if not _NON_RES_SET.isdisjoint(tags) or tags.get("building:use"):
        return "other"
    if "addr:housenumber" in tags:
        return "address"  # a house number and no other use: someone's door, not a barn's
    return ""


def name(tags: Mapping[str, str]) -> str:
    """The object's name, in the local script first."""
    return tags.get("name") or tags.get("name:zh") or tags.get("name:en") or ""


def is_water(tags: Mapping[str, str]) -> bool:
    return (tags.get("natural") == "water" or tags.get("waterway") == "riverbank"
            or tags.get("landuse") in ("reservoir", "basin"))


class NodeRule(NamedTuple):
    """What a node's tags make it: facility items, an establishment, a named place."""

    items: list[int]
    name: str
    establishment: bool
    place: str  # the ``place`` value for a named place of :data:`PLACES`, else ""


class WayRule(NamedTuple):
    """What a way's tags make it. ``reason``: why a highway is not walked (None otherwise);
    ``used``: it makes some feature besides a walk way; ``shape``: a building's (storeys,
    use)."""

    reason: str | None
    walk: bool
    used: bool
    items: list[int]
    is_res: bool
    building: str  # "" for none and for ``building=no``
    water: bool
    land: bool  # a land use other than residential
    name: str
    shape: tuple[float, str] | None


class AreaRule(NamedTuple):
    """What a relation area's tags make it (as :class:`WayRule`, but ``building`` is kept as
    tagged, ``no`` included: such a relation is still assembled, not made a building)."""

    items: list[int]
    is_res: bool
    building: str
    water: bool
    land: bool

    @property
    def used(self) -> bool:
        return bool(self.items or self.is_res or self.building or self.water or self.land)


def node_rule(tags: Mapping[str, str], taxonomy: Taxonomy) -> NodeRule:
    items = taxonomy.classify(tags)
    label = name(tags)
    place = tags["place"] if tags.get("place") in PLACES and label else ""
    return NodeRule(items, label, is_establishment(tags), place)


def way_rule(tags: Mapping[str, str], taxonomy: Taxonomy) -> WayRule:
    reason = walk = None
    if "highway" in tags:
        reason = walk_exclusion(tags)
        walk = reason is None
    items = taxonomy.classify(tags)
    is_res = tags.get("landuse") == "residential"
    building = tags.get("building", "")
    if building == "no":
        building = ""
    water = is_water(tags)
    land = bool(tags.get("landuse")) and not is_res
    used = bool(items or is_res or building or water or land)
    label = name(tags) if used else ""
    shape = (levels(tags), building_use(tags)) if building else None
    return WayRule(reason, bool(walk), used, items, is_res, building, water, land, label, shape)


def area_rule(tags: Mapping[str, str], taxonomy: Taxonomy) -> AreaRule:
    is_res = tags.get("landuse") == "residential"
    return AreaRule(taxonomy.classify(tags), is_res, tags.get("building", ""), is_water(tags),
                    bool(tags.get("landuse")) and not is_res)


def relation_wanted(tags: Mapping[str, str], taxonomy: Taxonomy) -> bool:
    """Whether a multipolygon relation makes a feature, so it must be assembled: residential
    land, a building or a facility item (its failure to assemble is then reported)."""
    wanted = tags.get("landuse") == "residential" or "building" in tags
    return wanted or bool(taxonomy.classify(tags))
