"""The transmission chain as a graph drawn on the server as SVG: cases are nodes (filled by
status, ringed in their cluster's colour), links run from the probable source to the case
and carry the exposure date. Shown to health officers only; never published.

Layout is by generation: a case with no known source starts a column 0, the cases it infected
stand in column 1, and so on; within a column, by the day the case counts on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2")
STATUS_FILL = {"suspected": "#fff4d6", "confirmed": "#f8d7d4", "recovered": "#dff0e4"}
COL_W, ROW_H, R, PAD = 150, 64, 18, 40


@dataclass(frozen=True)
class Node:
    id: int
    status: str
    day: date
    cluster: str
    source_id: int | None
    exposure_date: date | None


def generations(nodes: list[Node]) -> dict[int, int]:
    """How many links separate each case from a case with no known source (cycles cut)."""
    by_id = {n.id: n for n in nodes}
    depth: dict[int, int] = {}
    for node in nodes:
        seen: list[int] = []
        current: Node | None = node
        while current is not None and current.id not in depth and current.id not in seen:
            seen.append(current.id)
            current = by_id.get(current.source_id) if current.source_id else None
        base = depth[current.id] + 1 if current is not None and current.id in depth else 0
        for offset, case_id in enumerate(reversed(seen)):
            depth[case_id] = base + offset
    return depth


def render(nodes: list[Node], *, labels: dict[str, str]) -> str:
    """An SVG document; ``labels`` carries the translated legend and title texts."""
    depth = generations(nodes)
    columns: dict[int, list[Node]] = {}
    for node in sorted(nodes, key=lambda n: (n.day, n.id)):
        columns.setdefault(depth[node.id], []).append(node)
    where = {n.id: (PAD + col * COL_W + R, PAD + row * ROW_H + R)
             for col, members in columns.items() for row, n in enumerate(members)}
    clusters = sorted({n.cluster for n in nodes if n.cluster})
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(clusters)}
    width = PAD * 2 + max(len(columns), 1) * COL_W
    legend_rows = len(clusters) + len(STATUS_FILL)
    height = PAD * 2 + max([len(m) for m in columns.values()] + [1]) * ROW_H + legend_rows * 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(labels["title"])}">',
           f"<title>{escape(labels['title'])}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
           'fill="#555"/></marker></defs>']
    for node in nodes:
        if node.source_id in where:
            (x1, y1), (x2, y2) = where[node.source_id], where[node.id]
            length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1)
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            out.append(f'<line class="link" x1="{x1 + ux * R:.1f}" y1="{y1 + uy * R:.1f}" '
                       f'x2="{x2 - ux * R:.1f}" y2="{y2 - uy * R:.1f}" stroke="#555" '
                       'marker-end="url(#arrow)"/>')
            if node.exposure_date:
                out.append(f'<text class="link-date" x="{(x1 + x2) / 2:.1f}" '
                           f'y="{(y1 + y2) / 2 - 4:.1f}" font-size="10" text-anchor="middle" '
                           f'fill="#333">{node.exposure_date.isoformat()}</text>')
    for node in nodes:
        x, y = where[node.id]
        ring = colour.get(node.cluster, "#777")
        width_ring = 4 if node.cluster else 1.5
        fill = STATUS_FILL.get(node.status, "#eee")
        out.append(f'<g class="case" data-case="{node.id}" data-status="{escape(node.status)}">'
                   f'<circle cx="{x}" cy="{y}" r="{R}" fill="{fill}"'
                   f' stroke="{ring}" stroke-width="{width_ring}"/>'
                   f'<text x="{x}" y="{y + 4}" font-size="11" text-anchor="middle">#{node.id}'
                   f'</text><text x="{x}" y="{y + R + 12}" font-size="9" text-anchor="middle" '
                   f'fill="#555">{node.day.isoformat()}</text></g>')
    y = height - legend_rows * 20 - PAD // 2
    for status, fill in STATUS_FILL.items():
        out.append(f'<circle cx="{PAD}" cy="{y}" r="6" fill="{fill}" stroke="#777"/>'
                   f'<text x="{PAD + 12}" y="{y + 4}" font-size="11">'
                   f'{escape(labels.get(status, status))}</text>')
        y += 20
    for name in clusters:
        out.append(f'<circle class="cluster-key" cx="{PAD}" cy="{y}" r="6" fill="none" '
                   f'stroke="{colour[name]}" stroke-width="3"/><text x="{PAD + 12}" y="{y + 4}" '
                   f'font-size="11">{escape(labels["cluster"])}: {escape(name)}</text>')
        y += 20
    out.append("</svg>")
    return "\n".join(out)
