"""Which OSM ways a pedestrian may use.

The rule follows common practice for walk networks (OSMnx "walk", OpenRouteService foot
profile): most street classes are walkable; motorways and trunk roads only with a mapped
sidewalk or explicit foot access; anything marked ``foot=no`` or private is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

WALKABLE_HIGHWAYS = frozenset({
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
    "track", "cycleway", "unclassified", "tertiary", "tertiary_link", "secondary",
    "secondary_link", "primary", "primary_link", "road", "corridor", "bridleway", "platform",
    "elevator", "busway",
})
NEEDS_SIDEWALK = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
FOOT_YES = frozenset({"yes", "designated", "permissive", "official"})
SIDEWALK_YES = frozenset({"both", "left", "right", "yes"})
NO_ACCESS = frozenset({"no", "private"})


def walk_exclusion(tags: Mapping[str, str]) -> str | None:
    """``None`` when a highway way is walkable, else the reason it is dropped."""
    highway = tags.get("highway")
    if highway is None:
        return "not a highway"
    foot = tags.get("foot")
    if foot in NO_ACCESS or foot == "use_sidepath":
        return f"foot={foot}"
    if tags.get("access") in NO_ACCESS and foot not in FOOT_YES:
        return f"access={tags['access']}"
    if highway in NEEDS_SIDEWALK:
        sidewalk = {tags.get(k) for k in ("sidewalk", "sidewalk:both", "sidewalk:left",
                                          "sidewalk:right")}
        if foot in FOOT_YES or sidewalk & SIDEWALK_YES:
            return None
        return f"highway={highway} without sidewalk"
    if highway not in WALKABLE_HIGHWAYS:
        return f"highway={highway}"
    return None
