"""An island's streets stay in the walk network; fragments of a few hundred metres do not.

Malta's extract holds three islands. Keeping only the largest connected part of the network
dropped Gozo (556 km of streets): its ~30,000 residents were reported unsnapped and "at the
edge of the data", and scored nowhere. A detached campus path or a footway not joined to the
streets is still dropped (an origin snapped to it would score zero by a mapping gap).
"""

from __future__ import annotations

import numpy as np

from rescity.assess.network.graph import assemble

GOZO_LON = (14.17, 14.35)  # Gozo lies west of 14.35 E, Malta's main island east of 14.35 E
GOZO_LAT = (36.0, 36.09)


def test_gozo_is_walked_not_reported_at_the_border(assessed) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get("malta")
    org = result.origins.to_crs("EPSG:4326")
    pt = org.geometry.representative_point()
    gozo = ((pt.x > GOZO_LON[0]) & (pt.x < GOZO_LON[1]) & (pt.y > GOZO_LAT[0])
            & (pt.y < GOZO_LAT[1])).to_numpy()
    assert gozo.sum() > 100  # Gozo's towns are origins
    # Its origins reach Gozo's streets and are scored; none is said to be at the data's edge
    # (the coast is the real boundary of the extract).
    assert org["snapped"].to_numpy()[gozo].mean() > 0.95
    assert not org["at_border"].to_numpy()[gozo].any()
    assert np.isfinite(org["life_service"].to_numpy()[gozo]).mean() > 0.95
    report = result.summary["network"]
    assert report["components_kept"] >= 2
    # Fragments are still dropped: far more parts of the network than kept ones.
    assert report["components_dropped"] > 100


def test_short_fragments_dropped_long_components_kept() -> None:
    # Three components: a 3-edge cycle (3 km), a 2-edge path (12 km), one 50 m edge.
    x = np.array([0.0, 1000, 500, 5000, 11000, 17000, 9000, 9050])
    y = np.array([0.0, 0, 800, 5000, 5000, 5000, 0, 0])
    u = np.array([0, 1, 2, 3, 4, 6])
    v = np.array([1, 2, 0, 4, 5, 7])
    length = np.array([1000.0, 1000.0, 1000.0, 6000.0, 6000.0, 50.0])
    ptr = np.arange(0, 2 * len(u) + 1, 2)
    gx = np.ravel(np.column_stack([x[u], x[v]]))
    gy = np.ravel(np.column_stack([y[u], y[v]]))
    net = assemble("EPSG:32650", x, y, np.arange(8), u, v, length, ptr, gx, gy,
                   min_component_m=2500.0)
    # The 3-node cycle is the largest by nodes; the 12 km path is kept for its length.
    assert net.n_edges == 5
    assert net.report["components_kept"] == 2
    assert net.report["components_dropped"] == 1
    only_largest = assemble("EPSG:32650", x, y, np.arange(8), u, v, length, ptr, gx, gy)
    assert only_largest.n_edges == 3
