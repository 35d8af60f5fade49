"""Long steps tell how far they are: the read reports the share of the file read, and a web
job's progress moves inside a step instead of standing still until the step ends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.services.jobs import STEPS, Job


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/io")
def test_the_read_reports_a_rising_share_of_the_file(osm_dir: Path) -> None:
    shares: list[float] = []
    data = read_osm(osm_dir / "porto_centro.osm.pbf", load_taxonomy(), on_progress=shares.append)
    assert data.n_walk_ways > 0
    assert len(shares) >= 3  # one report per 8,192 objects handed to Python
    assert shares == sorted(shares)
    assert 0.0 <= shares[0] < shares[-1] <= 1.0
    assert shares[-1] > 0.5  # both passes over the file are counted


def test_a_job_moves_within_a_step() -> None:
    job = Job("j", "x", Path("x.osm.pbf"), None, "me", state="running", stage="read")
    before = job.progress
    job.stage_done = 0.5
    assert job.progress == pytest.approx(before + 0.5 / len(STEPS))
    assert job.public()["progress"] > before
