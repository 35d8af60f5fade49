"""The steps after the read tell how far they are too: the longer stages report shares
within themselves, and writing the outputs (many seconds for a megacity) reports each file."""

from __future__ import annotations

import gc
from pathlib import Path

from rescity.assess.adapters.writers import write_outputs
from rescity.assess.services.pipeline import evaluate


def test_stages_and_the_writing_report_rising_shares(tmp_path: Path, osm_dir: Path) -> None:
    within: dict[str, list[float]] = {}
    result = evaluate(osm_dir / "monaco.osm.pbf",
                      on_progress=lambda stage, f: within.setdefault(stage, []).append(f))
    for stage in ("network", "origins"):
        shares = within[stage]
        assert shares == sorted(shares) and 0.0 < shares[0] <= shares[-1] < 1.0
    written: list[float] = []
    paths = write_outputs(result, tmp_path, on_progress=written.append)
    assert len(written) >= 5
    assert written == sorted(written) and written[-1] == 1.0
    assert all(p.is_file() for p in paths.values())


def test_an_assessment_leaves_a_frozen_server_heap_frozen(osm_dir: Path) -> None:
    """`rescity serve` freezes its start-up heap and runs assessments in its own process;
    the pipeline's gc.unfreeze() after the read thawed the server's heap with its own."""
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        evaluate(osm_dir / "monaco.osm.pbf")
        # (a few frozen objects may be freed meanwhile; thawed, the count would be 0)
        assert gc.get_freeze_count() > before // 2 > 0
    finally:
        gc.unfreeze()
