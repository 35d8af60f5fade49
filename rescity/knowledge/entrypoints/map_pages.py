"""The map page (vendored Leaflet, no remote tiles) and its GeoJSON: partner cities and the
initiatives a search finds, with the search page's filters."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import City, Partner, Programme
from rescity.knowledge.domain.taxonomy import terms
from rescity.knowledge.services.search import MAX_PER_PAGE, SearchQuery, search
from rescity.web.deps import UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


def _feature(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": props,
    }


def geojson(session: Session, query: SearchQuery, *, cities: bool = True) -> dict[str, Any]:
    """Partner cities and the initiatives a search finds, as GeoJSON points (WGS 84).

    Initiatives sit at their city's coordinates. Nothing personal is exported: no plans,
    no contacts.
    """
    features: list[dict[str, Any]] = []
    members: dict[int, list[str]] = {}
    for partner in session.scalars(select(Partner)):
        prog = session.get(Programme, partner.programme_id)
        members.setdefault(partner.city_id, []).append(prog.key if prog else "")
    if cities:
        for city in session.scalars(select(City).order_by(City.key)):
            if city.lat is None or city.lon is None or city.id not in members:
                continue
            features.append(
                _feature(
                    city.lon,
                    city.lat,
                    {
                        "kind": "city",
                        "key": city.key,
                        "name_en": city.name_en,
                        "name_zh": city.name_zh,
                        "country": city.country,
                        "level": city.level,
                        "population": city.population,
                        "programmes": sorted(members[city.id]),
                    },
                )
            )
    page = 1
    while True:
        result = search(session, replace(query, page=page, per_page=MAX_PER_PAGE), facets=False)
        for hit in result.hits:
            c = hit.item.city
            if c.lat is None or c.lon is None:
                continue
            features.append(
                _feature(
                    c.lon,
                    c.lat,
                    {
                        "kind": "initiative",
                        "key": hit.item.key,
                        "title_en": hit.item.title("en"),
                        "title_zh": hit.item.title("zh"),
                        "city": c.key,
                        "country": c.country,
                        "year": hit.item.year,
                        "tags": hit.item.tag_codes,
                    },
                )
            )
        if page * MAX_PER_PAGE >= result.total:
            break
        page += 1
    return {"type": "FeatureCollection", "features": features}


@router.get("/api/kb/map.geojson", include_in_schema=True, tags=["knowledge"])
def map_geojson(
    uow: UoW, q: str = "", country: str = "", city: str = "", theme: str = "", sdg: str = ""
) -> Response:
    """Partner cities and (filtered) initiatives as GeoJSON."""
    query = SearchQuery(q=q, country=country, city=city, theme=theme, sdg=sdg)
    body = json.dumps(geojson(uow.session, query), ensure_ascii=False)
    return Response(body, media_type="application/geo+json")


@router.get("/kb/map")
def map_page(
    page: Page, q: str = "", country: str = "", city: str = "", theme: str = "", sdg: str = ""
) -> Response:
    params = {
        k: v
        for k, v in (("q", q), ("country", country), ("city", city), ("theme", theme), ("sdg", sdg))
        if v
    }
    return page.render(
        "knowledge/map.html",
        params=params,
        themes=terms(),
        geojson_url="/api/kb/map.geojson?" + urlencode(params),
    )
