"""Charts comparing cities: index box plots (figures 48, 51), facility-class box plots,
coverage per Table 2 item, and the shares of residents in low-score areas (figures 47, 50).

Box plots are population-weighted (quartiles and 5th/95th percentile whiskers are the
weighted quantiles of :mod:`rescity.assess.domain.summary`), so a box describes residents,
not buildings; the medians match the city summary.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.indices import INDEX_NAMES, ReachView, item_scores
from rescity.assess.domain.summary import weighted_quantile
from rescity.assess.reporting.maps import index_range
from rescity.assess.reporting.style import (
    GROUP_LABELS,
    INDEX_LABELS,
    bilingual,
    new_figure,
)

F64 = npt.NDArray[np.float64]


def wrapped_label(index: str) -> str:
    """Chinese over English, the English wrapped so neighbouring tick labels do not collide."""
    zh, en = INDEX_LABELS.get(index, (index, index))
    return zh + "\n" + textwrap.fill(en, 20)


def _weights(city: CityResult) -> F64:
    pop = city.origins["population"].to_numpy(np.float64)
    snapped = city.origins["snapped"].to_numpy(bool)
    out: F64 = np.where(snapped & np.isfinite(pop), pop, 0.0)
    return out


def _box(values: F64, weights: F64, label: str) -> dict[str, object]:
    q = [weighted_quantile(values, weights, p) for p in (0.05, 0.25, 0.5, 0.75, 0.95)]
    ok = np.isfinite(values) & (weights > 0)
    mean = float(np.average(values[ok], weights=weights[ok])) if ok.any() else float("nan")
    # n: the origins behind the box, so a box drawn from a handful of areas shows it.
    return {"label": f"{label}\nn = {int(ok.sum())}", "whislo": q[0], "q1": q[1],
            "med": q[2], "q3": q[3], "whishi": q[4], "mean": mean, "fliers": []}


def _city_colours(n: int) -> list[tuple[float, float, float, float]]:
    # Okabe–Ito: distinguishable with the common colour-vision deficiencies.
    okabe_ito = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                 "#000000")
    return [to_rgba(okabe_ito[i % len(okabe_ito)]) for i in range(n)]


def _boxes(ax: Axes, stats: list[dict[str, object]], colours: Sequence[object]) -> None:
    art = ax.bxp(stats, showmeans=True, patch_artist=True, widths=0.6,
                 meanprops={"marker": "D", "markerfacecolor": "white",
                            "markeredgecolor": "black", "markersize": 4},
                 medianprops={"color": "black"})
    for patch, colour in zip(art["boxes"], colours, strict=False):
        patch.set_facecolor(colour)
        patch.set_alpha(0.75)
    ax.grid(axis="y", alpha=0.3)
    ax.tick_params(axis="x", labelrotation=20)


def index_boxplots(cities: Sequence[CityResult],
                   indices: Sequence[str] = INDEX_NAMES) -> Figure:
    """One panel per index, one population-weighted box per city."""
    n = len(indices)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = new_figure(4.0 * cols, 3.4 * rows + 0.6)
    colours = _city_colours(len(cities))
    for k, index in enumerate(indices):
        ax = fig.add_subplot(rows, cols, k + 1)
        stats = [_box(c.origins[index].to_numpy(np.float64), _weights(c), c.name)
                 for c in cities]
        _boxes(ax, stats, colours)
        ax.set_ylim(*index_range(index))
        ax.set_title(wrapped_label(index), fontsize=9)
    fig.suptitle(bilingual(("各城市指数分布（按人口加权）",
                            "Index distributions by city (population-weighted)")))
    return fig


def class_scores(city: CityResult) -> dict[str, F64]:
    """Per Table-2 category, each origin's weighted item score (0..1), using the engine's
    item scoring (presence, tiered or decay) on the stored nearest distances."""
    weights = city.config.life_service.weights
    items = list(weights)
    nearest = np.column_stack([
        np.nan_to_num(city.origins[f"d_{i}"].to_numpy(np.float64), nan=np.inf) for i in items])
    n = len(city.origins)
    zero = np.zeros(n)
    view = ReachView(items, np.asarray(city.config.thresholds.distances_m),
                     np.zeros((n, len(items), 1), np.int32), nearest, zero, zero, zero, zero,
                     zero)
    scores = item_scores(view, city.config)
    group_of = {it.id: it.group for it in city.taxonomy.items}
    out: dict[str, F64] = {}
    for group in dict.fromkeys(group_of[i] for i in items):
        members = [i for i in items if group_of[i] == group]
        total = sum(weights[i] for i in members) or 1.0
        out[group] = sum((weights[i] * scores[i] for i in members), np.zeros(n)) / total
    return out


def class_boxplots(cities: Sequence[CityResult]) -> Figure:
    """One panel per facility class (Table 2 category), one box per city; for one city, one
    panel with a box per class."""
    if len(cities) == 1:
        return _class_boxplot_one_city(cities[0])
    per_city = [class_scores(c) for c in cities]
    groups = list(per_city[0])
    cols = 4
    rows = -(-len(groups) // cols)
    fig = new_figure(3.3 * cols, 3.1 * rows + 0.6)
    colours = _city_colours(len(cities))
    for k, group in enumerate(groups):
        ax = fig.add_subplot(rows, cols, k + 1)
        stats = [_box(scores[group], _weights(c), c.name)
                 for c, scores in zip(cities, per_city, strict=True)]
        _boxes(ax, stats, colours)
        ax.set_ylim(-0.02, 1.02)
        zh, en = GROUP_LABELS.get(group, (group, group))
        ax.set_title(f"{zh}\n{en}", fontsize=9)
    fig.suptitle(bilingual(("各类设施可达得分（按人口加权）",
                            "Facility-class scores by city (population-weighted)")))
    return fig


def _class_boxplot_one_city(city: CityResult) -> Figure:
    """The classes side by side on one scale: seven panels of one box each said less, and
    took twice the time to lay out."""
    weights = _weights(city)
    per_class = class_scores(city)
    stats = []
    for group, scores in per_class.items():
        zh, en = GROUP_LABELS.get(group, (group, group))
        stats.append({**_box(scores, weights, ""), "label": f"{zh}\n{en}"})
    n = int(np.sum(np.isfinite(next(iter(per_class.values()))) & (weights > 0)))
    fig = new_figure(9.0, 4.6)
    ax = fig.add_subplot()
    _boxes(ax, stats, _city_colours(1) * len(stats))
    ax.tick_params(axis="x", labelrotation=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("可达得分 Access score")
    ax.set_title(bilingual(("各类设施可达得分（按人口加权）",
                            "Facility-class scores (population-weighted)"))
                 + f"\n{city.name} · n = {n}")
    return fig


def coverage_bars(cities: Sequence[CityResult]) -> Figure:
    """Share of residents with each Table-2 item within 5, 10 and 15 minutes, per city."""
    first = cities[0]
    items = list(first.config.life_service.weights)
    labels = first.config.thresholds.labels
    by_id = {it.id: it for it in first.taxonomy.items}
    n_c = len(cities)
    fig = new_figure(8.5, 0.28 * len(items) * max(n_c, 1) + 1.8)
    ax = fig.add_subplot()
    height = 0.8 / n_c
    colours = _city_colours(n_c)
    ypos = np.arange(len(items))
    shades = np.linspace(0.35, 1.0, len(labels))  # longest threshold lightest, drawn first
    for c, (city, colour) in enumerate(zip(cities, colours, strict=True)):
        y = ypos + (c - (n_c - 1) / 2) * height
        for t in range(len(labels) - 1, -1, -1):
            share = [100 * (city.summary["coverage"].get(i, {}).get(labels[t]) or 0.0)
                     for i in items]
            ax.barh(y, share, height=height * 0.92, color=colour, alpha=float(shades[-1 - t]),
                    edgecolor="white", linewidth=0.3,
                    label=f"{city.name} · {labels[t]}")
    ax.set_yticks(ypos, [f"{by_id[i].zh} {by_id[i].en}" for i in items], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("覆盖居民比例 Residents covered (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncols=max(1, n_c), framealpha=0.9)
    ax.set_title(bilingual(("表2 各项设施生活圈覆盖率", "Life-circle coverage per Table 2 item"))
                 + "\n" + " / ".join(labels))
    return fig


def low_share_bars(cities: Sequence[CityResult],
                   indices: Sequence[str] = INDEX_NAMES) -> Figure:
    """Share of residents whose score is below the index's "low" threshold, per city."""
    fig = new_figure(9.0, 4.6)
    ax = fig.add_subplot()
    n_c = len(cities)
    width = 0.8 / n_c
    x = np.arange(len(indices))
    for c, (city, colour) in enumerate(zip(cities, _city_colours(n_c), strict=True)):
        shares = [100 * (city.summary["indices"].get(i, {}).get("share_low") or 0.0)
                  for i in indices]
        bars = ax.bar(x + (c - (n_c - 1) / 2) * width, shares, width=width * 0.92,
                      color=colour, label=city.name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    ax.set_xticks(x, [wrapped_label(i) for i in indices], fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("低分区居民比例 Residents in low-score areas (%)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(bilingual(("低分区居民比例", "Share of residents in low-score areas")))
    return fig
