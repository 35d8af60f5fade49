"""What the report's figures say, on a real extract: n on box plots, colour-blind-safe
colours, maps framed on the origins, the scale bar's length at its end, border origins."""

from __future__ import annotations

import numpy as np
import shapely

from rescity.assess.adapters.result_store import from_assessment
from rescity.assess.reporting.charts import index_boxplots
from rescity.assess.reporting.maps import index_map
from rescity.assess.reporting.style import BORDER_COLOUR, CMAP, figure_style


def test_box_plots_show_how_many_origins_each_box_stands_for(assessed) -> None:  # type: ignore[no-untyped-def]
    city = from_assessment(assessed.get("monaco"), "monaco")
    with figure_style():
        fig = index_boxplots([city], ["transport"])
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    n = int((city.origins["snapped"] & city.origins["transport"].notna()).sum())
    assert labels == [f"monaco\nn = {n}"]


def test_index_maps_fit_the_origins_and_mark_border_origins(assessed) -> None:  # type: ignore[no-untyped-def]
    city = from_assessment(assessed.get("monaco"), "monaco")
    with figure_style():
        fig = index_map(city, "transport")
    ax = fig.axes[0]
    minx, miny, maxx, maxy = shapely.total_bounds(city.origins.geometry.values)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pad = max(300.0, 0.05 * max(maxx - minx, maxy - miny))
    assert np.allclose([x0, x1, y0, y1], [minx - pad, maxx + pad, miny - pad, maxy + pad])
    assert CMAP == "viridis"
    mapped = [c.cmap.name for c in ax.collections if getattr(c, "cmap", None) is not None
              and c.get_array() is not None]
    assert "viridis" in mapped
    texts = {t.get_text(): t.get_position()[0] for t in ax.texts}
    assert "0" in texts
    length_label = next(k for k in texts if k.endswith(("m", "km")) and k != "0")
    assert texts[length_label] > texts["0"]
    n_border = int(city.origins["at_border"].sum())
    edge_rgba = [c for c in ax.collections if c.get_edgecolor().size
                 and np.allclose(c.get_edgecolor()[0][:3],
                                 np.array([int(BORDER_COLOUR[i:i + 2], 16) / 255
                                           for i in (1, 3, 5)]))]
    assert n_border == 0 or sum(len(c.get_offsets()) for c in edge_rgba) == n_border


def test_maps_carry_water_and_place_names_from_the_extract(assessed) -> None:  # type: ignore[no-untyped-def]
    city = from_assessment(assessed.get("monaco"), "monaco")
    names = set(city.context.loc[city.context["kind"] != "water", "name"])
    with figure_style():
        fig = index_map(city, "life_service")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert texts & names  # Monte-Carlo, La Condamine … written from the OSM place nodes
    assert (city.context["kind"] == "water").sum() > 0
