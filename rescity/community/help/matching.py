"""Matching open help requests to volunteers: vectorised hard filters and weighted scores.

For every (request, volunteer) pair, in blocks of requests × all volunteers (numpy):

Hard filters — a pair failing any is never offered:
  kind       the volunteer has every skill the kind requires (``help_rules.toml``)
  area       the request's area is one the volunteer serves, or it lies within their radius
  language   the volunteer speaks one of the requester's languages (if any are given)
  vetting    the volunteer's vetting is valid, when the requester is flagged vulnerable (or
             when the rules require vetting for all)
  capacity   the volunteer has fewer current assignments than their capacity
  time       the volunteer's weekly shifts overlap the request's time window (or the
             minute of matching, for a request without one): quarter hours of the week as
             bit sets, see :mod:`rescity.community.help.shifts`

Score (each term in [0, 1], weights in ``help_rules.toml``, summing to 1)::

    score = w_d·(1 − d/radius) + w_l·lang + w_s·skill + w_c·(1 − load/capacity) + w_r·reliability

with ``d`` the distance (equirectangular approximation, exact enough within a city; the term
is 0.5 when either place is unknown), ``lang`` 1 if the volunteer speaks the requester's first
language and 0.5 if only another of their languages, ``skill`` the share of the kind's
preferred skills the volunteer has (1 when the kind prefers none) and ``reliability`` the
smoothed share of delivered assignments ``(delivered + 1) / (delivered + failed + 2)``.

Each request keeps its best ``k`` candidates; :func:`assign` then walks the requests by
urgency and age and gives each the best candidates that still have capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQUATOR = 111.320

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class Weights:
    distance: float
    language: float
    skill: float
    load: float
    reliability: float


@dataclass
class Requests:
    """Open requests as columns (row i is request i)."""

    kind: NDArray[np.int64]          # index into the kinds of help_rules.toml
    lat: NDArray[np.float64]         # NaN when unknown
    lon: NDArray[np.float64]
    area: NDArray[np.int64]          # index of the request's area, −1 when unknown
    lang_mask: I64                   # bit i = language i acceptable; 0 = any
    first_lang: NDArray[np.int64]    # the requester's first language, −1 = none given
    needs_vetting: B
    window: U64                      # (n, w) bits of the week (see shifts.py); 0 = any time

    def __len__(self) -> int:
        return len(self.kind)


@dataclass
class Volunteers:
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    radius_km: NDArray[np.float64]
    areas: B                         # (n, n_areas): the areas each volunteer serves
    lang_mask: I64
    skill_mask: I64
    vetted: B
    load: NDArray[np.int64]
    capacity: NDArray[np.int64]
    delivered: NDArray[np.int64]
    failed: NDArray[np.int64]
    availability: U64                # (n, w) bits of the week, as the windows

    def __len__(self) -> int:
        return len(self.lat)


@dataclass(frozen=True)
class KindSkills:
    required: I64   # per kind: bit mask of required skills
    preferred: I64  # per kind: bit mask of preferred skills


def hour_bits(hours: list[int]) -> NDArray[np.uint64]:
    """168 hour-of-week flags (Monday 00:00 = 0) packed in three 56-bit words."""
    words = np.zeros(3, dtype=np.uint64)
    for h in hours:
        if not 0 <= h < 168:
            raise ValueError(f"hour of week {h} outside 0..167")
        words[h // 56] |= np.uint64(1) << np.uint64(h % 56)
    return words


def _profiles(r: Requests) -> tuple[NDArray[np.int64], NDArray[np.int64],
                                    NDArray[np.uint64], NDArray[np.int64]]:
    """Requests that differ only in place share a *profile* (kind, vetting, languages):
    everything about a pair that depends neither on distance nor on time is computed once
    per profile and volunteer, then gathered per request. Time windows get their own table
    (distinct windows × volunteers), so that many windows do not multiply the profiles."""
    keys = np.column_stack([r.kind, r.needs_vetting.astype(np.int64), r.lang_mask, r.first_lang])
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    windows, w_inverse = np.unique(r.window, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1), windows, w_inverse.reshape(-1)


def _window_table(windows: NDArray[np.uint64], v: Volunteers) -> B:
    """Per distinct window × volunteer: does the volunteer's week overlap it (0 = any time)."""
    overlap = np.zeros((len(windows), len(v)), dtype=bool)
    for word in range(windows.shape[1]):
        overlap |= (windows[:, word, None] & v.availability[None, :, word]) != 0
    any_time: B = np.logical_not(windows.any(axis=1))
    overlap |= any_time[:, None]
    return overlap


def _profile_tables(uniq: NDArray[np.int64], v: Volunteers, kinds: KindSkills, w: Weights
                    ) -> tuple[B, F32]:
    """Per profile × volunteer: feasible without the place and time tests, and the score
    without the distance term."""
    kind, vet, lang_mask, first = uniq[:, 0], uniq[:, 1].astype(bool), uniq[:, 2], uniq[:, 3]
    have = v.skill_mask[None, :]
    req = kinds.required[kind][:, None]
    pref = kinds.preferred[kind][:, None]
    feasible = (have & req) == req
    feasible &= (v.load < v.capacity)[None, :]
    feasible &= ~vet[:, None] | v.vetted[None, :]
    feasible &= (lang_mask[:, None] == 0) | ((lang_mask[:, None] & v.lang_mask[None, :]) != 0)
    n_pref = np.bitwise_count(pref).astype(np.float32)
    fit = np.where(n_pref > 0, np.bitwise_count(have & pref) / np.maximum(n_pref, 1), 1.0)
    speaks_first = ((v.lang_mask[None, :] >> np.maximum(first, 0)[:, None]) & 1) == 1
    lang = np.where((first[:, None] < 0) | speaks_first, 1.0, 0.5)
    reliability = (v.delivered + 1) / (v.delivered + v.failed + 2)
    load = 1.0 - v.load / np.maximum(v.capacity, 1)
    score = (w.language * lang + w.skill * fit
             + (w.load * load + w.reliability * reliability)[None, :]).astype(np.float32)
    return feasible, score


def _spatial_order(r: Requests) -> NDArray[np.int64]:
    """Requests sorted by area, then by ~2 km cell: a block then covers a small region, and
    only the volunteers near it or serving its areas need scoring."""
    lat = np.nan_to_num(r.lat, nan=999.0)
    lon = np.nan_to_num(r.lon, nan=999.0)
    return np.lexsort((np.floor(lon / 0.02), np.floor(lat / 0.02), r.area)).astype(np.int64)


def rank(
    r: Requests, v: Volunteers, kinds: KindSkills, w: Weights, *, k: int = 10,
    block: int = 128,
) -> tuple[NDArray[np.int32], F32]:
    """The best ``k`` volunteers per request and their scores, best first.

    Returns ``(idx, score)`` of shape ``(len(r), k)``; infeasible slots hold ``-1`` and
    ``-inf``. Requests go in spatially coherent blocks; for each block only the volunteers
    who could pass the place test (near enough for their radius, or serving one of the
    block's areas) are scored.
    """
    n_r, n_v = len(r), len(v)
    k = max(1, min(k, n_v)) if n_v else 1
    idx_out = np.full((n_r, k), -1, dtype=np.int32)
    score_out = np.full((n_r, k), -np.inf, dtype=np.float32)
    if n_r == 0 or n_v == 0:
        return idx_out, score_out
    uniq, profile, windows, window_of = _profiles(r)
    prof_ok, prof_score = _profile_tables(uniq, v, kinds, w)
    win_ok = _window_table(windows, v)
    # Degrees relative to a local origin, so float32 keeps centimetres, not decimetres.
    lat_o = float(np.nanmean(v.lat)) if (~np.isnan(v.lat)).any() else 0.0
    lon_o = float(np.nanmean(v.lon)) if (~np.isnan(v.lon)).any() else 0.0
    vlat = (v.lat - lat_o).astype(np.float32)
    vlon = (v.lon - lon_o).astype(np.float32)
    v_pos = ~np.isnan(vlat)
    vlat0, vlon0 = np.nan_to_num(vlat), np.nan_to_num(vlon)
    radius = np.maximum(v.radius_km, 1e-3).astype(np.float32)
    reach_lat = radius / KM_PER_DEG_LAT
    areas_t = np.vstack([np.ascontiguousarray(v.areas.T), np.zeros((1, n_v), dtype=bool)])
    useful = prof_ok.any(axis=0) & win_ok.any(axis=0)  # feasible for some request
    wd = np.float32(w.distance)
    order = _spatial_order(r)
    for start in range(0, n_r, block):
        rows = order[start:start + block]
        rlat = (r.lat[rows] - lat_o).astype(np.float32)
        rlon = (r.lon[rows] - lon_o).astype(np.float32)
        r_pos = ~np.isnan(rlat)
        areas = r.area[rows]
        # volunteers who could pass the place test for some request of the block
        cand = areas_t[np.unique(areas)].any(axis=0)
        if r_pos.any():
            lo_lat, hi_lat = rlat[r_pos].min(), rlat[r_pos].max()
            lo_lon, hi_lon = rlon[r_pos].min(), rlon[r_pos].max()
            far = max(abs(lo_lat + lat_o), abs(hi_lat + lat_o))
            reach_lon = radius / (KM_PER_DEG_LON_EQUATOR * np.float32(
                max(np.cos(np.radians(far)), 0.01)))
            cand |= (v_pos & (vlat0 >= lo_lat - reach_lat) & (vlat0 <= hi_lat + reach_lat)
                     & (vlon0 >= lo_lon - reach_lon) & (vlon0 <= hi_lon + reach_lon))
        cols = np.flatnonzero(cand & useful)
        if cols.size == 0:
            continue
        ok = prof_ok[:, cols][profile[rows]]
        ok &= win_ok[:, cols][window_of[rows]]
        score = prof_score[:, cols][profile[rows]]
        kx = (KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(np.nan_to_num(r.lat[rows])))).astype(
            np.float32)
        dy = np.subtract.outer(np.nan_to_num(rlat) * KM_PER_DEG_LAT, vlat0[cols] * KM_PER_DEG_LAT)
        dx = np.subtract.outer(np.nan_to_num(rlon), vlon0[cols])
        dx *= kx[:, None]
        dx *= dx
        dy *= dy
        dx += dy
        np.sqrt(dx, out=dx)
        dx /= radius[cols][None, :]                      # d / radius
        known = np.logical_and.outer(r_pos, v_pos[cols])
        ok &= (known & (dx <= 1.0)) | areas_t[areas][:, cols]
        # distance term 1 − d/radius in [0, 1]; 0.5 when either place is unknown. Masks are
        # applied arithmetically: boolean-indexed writes are several times slower.
        np.subtract(1.0, dx, out=dx)
        np.clip(dx, 0.0, 1.0, out=dx)
        dx *= known
        dx += np.float32(0.5) * ~known
        dx *= wd
        score += dx
        score -= np.float32(4.0) * ~ok                   # infeasible pairs drop below −2
        kk = min(k, cols.size)
        top = np.argpartition(score, cols.size - kk, axis=1)[:, cols.size - kk:]
        top_scores = np.take_along_axis(score, top, axis=1)
        by = np.argsort(-top_scores, axis=1, kind="stable")
        top = cols[np.take_along_axis(top, by, axis=1)].astype(np.int32)
        top_scores = np.take_along_axis(top_scores, by, axis=1)
        bad = top_scores < -1.0
        top[bad] = -1
        top_scores[bad] = -np.inf
        idx_out[rows, :kk] = top
        score_out[rows, :kk] = top_scores
    return idx_out, score_out


@dataclass(frozen=True)
class Assignment:
    request: int
    volunteers: tuple[int, ...]
    scores: tuple[float, ...]


def assign(
    idx: NDArray[np.int32], score: F32, *, order: list[int], needed: list[int],
    room: list[int], excluded: set[tuple[int, int]] | None = None,
) -> list[Assignment]:
    """Greedy: requests in ``order`` take their best candidates that still have room.

    ``room`` is each volunteer's free capacity (updated as volunteers are taken); a request
    needing two volunteers (a pair) gets none unless two are free. ``excluded`` holds
    (request, volunteer) pairs not to offer again (declined or let an offer expire).
    """
    excluded = excluded or set()
    out = []
    for ri in order:
        chosen: list[int] = []
        chosen_scores: list[float] = []
        for slot in range(idx.shape[1]):
            vi = int(idx[ri, slot])
            if vi < 0:
                break
            if room[vi] <= 0 or (ri, vi) in excluded or vi in chosen:
                continue
            chosen.append(vi)
            chosen_scores.append(float(score[ri, slot]))
            if len(chosen) == needed[ri]:
                break
        if len(chosen) == needed[ri]:
            for vi in chosen:
                room[vi] -= 1
            out.append(Assignment(ri, tuple(chosen), tuple(chosen_scores)))
    return out
