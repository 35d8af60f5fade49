"""The administrative hierarchy: city → district → sub-district (街道) → community → grid.

In Chinese: 市 → 区 → 街道 → 社区 (community) → 网格 (grid).

Each place stores a materialised ``path`` of ids ("/1/4/9/") so that "is X inside Y" is a
prefix test, both in Python (the policy) and in SQL (``path LIKE '/1/4/%'``) for scoping
queries. Every record that belongs to a community or grid keeps the place's path as its scope.

A place may carry a boundary (GeoJSON text, WGS84 lon/lat) with its bounding box in four
plain columns, so that "which place contains this point" needs no PostGIS: the box filters
in SQL, shapely decides (:mod:`rescity.core.boundaries`).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.storage.db import Base


class PlaceLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    GRID = "grid"


LEVEL_ORDER = list(PlaceLevel)


class Place(Base):
    __tablename__ = "place"
    __table_args__ = (Index("ix_place_box", "min_lon", "max_lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    # Polygon or MultiPolygon as GeoJSON text (lon/lat, EPSG:4326); None: no boundary drawn.
    boundary: Mapped[str | None] = mapped_column(Text, default=None)
    min_lon: Mapped[float | None] = mapped_column(Float, default=None)
    min_lat: Mapped[float | None] = mapped_column(Float, default=None)
    max_lon: Mapped[float | None] = mapped_column(Float, default=None)
    max_lat: Mapped[float | None] = mapped_column(Float, default=None)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


def contains(outer_path: str, inner_path: str) -> bool:
    """True when the place at ``inner_path`` is ``outer_path`` or lies below it."""
    return bool(outer_path) and inner_path.startswith(outer_path)


def community_path(path: str) -> str | None:
    """The path of the community a place at community level or below lies in, else None
    (places sit at fixed levels: city, district, sub-district, community, grid)."""
    parts = path.strip("/").split("/")
    depth = LEVEL_ORDER.index(PlaceLevel.COMMUNITY) + 1
    if len(parts) < depth or not all(parts[:depth]):
        return None
    return "/" + "/".join(parts[:depth]) + "/"


def add_place(
    session: Session,
    *,
    level: PlaceLevel,
    code: str,
    name_zh: str,
    name_en: str = "",
    parent: Place | None = None,
) -> Place:
    """Add a place under ``parent``; a level must sit directly below its parent's level."""
    problems = []
    if parent is None and level != PlaceLevel.CITY:
        problems.append(Problem("parent", f"a {level} needs a parent place"))
    if parent is not None:
        expected = LEVEL_ORDER[LEVEL_ORDER.index(PlaceLevel(parent.level)) + 1 :][:1]
        if [level] != expected:
            problems.append(
                Problem("level", f"a {level} cannot sit directly below a {parent.level}")
            )
    if not code.strip():
        problems.append(Problem("code", "must not be empty"))
    if session.scalar(select(Place.id).where(Place.code == code)) is not None:
        problems.append(Problem("code", f"'{code}' is already used"))
    if problems:
        raise InputError(problems, source="place")
    place = Place(
        level=str(level),
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        parent_id=parent.id if parent else None,
    )
    session.add(place)
    session.flush()
    place.path = (parent.path if parent else "/") + f"{place.id}/"
    session.flush()
    return place


def get_place(session: Session, code: str) -> Place:
    place = session.scalar(select(Place).where(Place.code == code))
    if place is None:
        raise NotFound(f"no place with code '{code}'")
    return place


def places_within(session: Session, path: str, level: PlaceLevel | None = None) -> list[Place]:
    stmt = select(Place).where(Place.path.startswith(path, autoescape=True))
    if level is not None:
        stmt = stmt.where(Place.level == str(level))
    return list(session.scalars(stmt.order_by(Place.path)))
