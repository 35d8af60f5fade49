"""`rescity kb match/assign/recommend --json` on the imported seeds (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rescity.cli import app

runner = CliRunner()


@pytest.fixture
def kb_db(tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESCITY_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    monkeypatch.delenv("RESCITY_CONFIG", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name, fmt in (
        ("guangzhou-award-6th-chinese-initiatives.txt", "guangzhou-award"),
        ("iurc-china-news.txt", "iurc-news"),
        ("iuc-city-to-city-cooperation.txt", "iuc-slides"),
    ):
        result = runner.invoke(app, ["kb", "import", str(seeds_dir / name), "--format", fmt])
        assert result.exit_code == 0, result.output
    return tmp_path


def test_match_json_lists_components_with_evidence_and_no_evidence_apart(kb_db: Path) -> None:
    out = runner.invoke(app, ["kb", "match", "guangzhou", "--programme", "iurc-china", "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["ranked"] and body["no_evidence"]
    for cand in body["ranked"]:
        parts = {c["name"]: c for c in cand["components"]}
        assert set(parts) == {
            "thematic_overlap",
            "complementary_strengths",
            "shared_weaknesses",
            "existing_cooperation",
            "similar_size",
            "similar_latitude",
        }
        known = [c for c in parts.values() if c["value"] is not None]
        assert cand["score"] == pytest.approx(sum(c["contribution"] for c in known), abs=1e-3)
        assert all(
            c["status"] == "unknown" and c["contribution"] is None
            for c in parts.values()
            if c["value"] is None
        )
    assert not {c["candidate"] for c in body["ranked"]} & set(body["no_evidence"])


def test_assign_json_pairs_with_evidence_or_refuses(
    kb_db: Path, tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = runner.invoke(app, ["kb", "assign", "iurc-china", "--json"])
    assert out.exit_code == 0, out.output
    pairs = json.loads(out.stdout)["pairs"]
    assert pairs and len({p["city"] for p in pairs}) == len(pairs)
    assert ("zhengzhou", "lazio") not in {(p["city"], p["candidate"]) for p in pairs}
    # the IUC slides alone: Chinese pilots without initiatives or events, and the one
    # European pilot (Mannheim) already paired with Chongqing: nothing to choose on
    monkeypatch.setenv("RESCITY_DATABASE_URL", f"sqlite:///{tmp_path / 'iuc.sqlite3'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    iuc = str(seeds_dir / "iuc-city-to-city-cooperation.txt")
    assert runner.invoke(app, ["kb", "import", iuc, "--format", "iuc-slides"]).exit_code == 0
    refused = runner.invoke(app, ["kb", "assign", "iuc-asia", "--json"])
    assert refused.exit_code == 1
    assert "no pair" in json.loads(refused.stdout)["refused"]


def test_recommend_json_after_attaching_an_assessment(kb_db: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "source": "extracts/nanjing_xinjiekou.osm.pbf",
                "indices": {
                    "environment": {"median": 0.47, "share_low": 0.68, "low": 0.5},
                    "health_resilience": {"median": 0.72, "share_low": 0.07, "low": 0.5},
                },
                "missing_items": ["elderly_care"],
            }
        ),
        encoding="utf-8",
    )
    assert runner.invoke(app, ["kb", "attach-assessment", "nanjing", str(summary)]).exit_code == 0
    out = runner.invoke(app, ["kb", "recommend", "nanjing", "--json"])
    assert out.exit_code == 0, out.output
    recs = json.loads(out.stdout)["recommendations"]
    assert recs and {r["gap"]["key"] for r in recs} <= {"environment", "elderly_care"}
    assert all(r["assessed_area"] == "nanjing_xinjiekou.osm.pbf" for r in recs)
