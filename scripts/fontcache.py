"""Rebuild matplotlib's font list when it predates fonts installed since (e.g. the CJK fonts).

matplotlib caches the fonts it found on first import in ``<cachedir>/fontlist-v*.json`` and
never looks again, so a cache written before ``fonts-noto-cjk`` was installed makes every
figure's Chinese come out as boxes. Run by ``scripts/setup.sh`` with the project's Python:
it compares the fonts fontconfig knows with the cached list and rebuilds the list only when
a font file is missing from it. Prints one line; exit status 1 if a missing font stays
missing after the rebuild.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# The families figures need (rescity.assess.reporting.style); others are not our business.
WANTED = ("Noto Sans CJK",)


def installed_font_files() -> set[str]:
    """Font files fontconfig lists for the wanted families (empty without fontconfig)."""
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}\t%{family}\n"],  # noqa: S607 - fontconfig's tool
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {
        line.split("\t", 1)[0]
        for line in out.splitlines()
        if any(w in line for w in WANTED)
    }


def cached_font_files(cachedir: Path) -> set[str] | None:
    """Font files in matplotlib's cached list, or ``None`` when there is no cache yet."""
    caches = sorted(cachedir.glob("fontlist-v*.json"))
    if not caches:
        return None
    files: set[str] = set()
    for cache in caches:
        try:
            data = json.loads(cache.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        files |= {str(entry.get("fname", "")) for entry in data.get("ttflist", [])}
    return files


def main() -> int:
    import matplotlib

    cachedir = Path(matplotlib.get_cachedir())
    wanted = installed_font_files()
    cached = cached_font_files(cachedir)
    if not wanted:
        print(f"font cache: no {', '.join(WANTED)} fonts installed, nothing to check")
        return 0
    if cached is not None and wanted <= cached:
        print(f"font cache: up to date ({cachedir})")
        return 0
    for stale in cachedir.glob("fontlist-v*.json"):
        stale.unlink()
    from matplotlib import font_manager  # importing rebuilds the list and writes the cache

    found = {f.fname for f in font_manager.fontManager.ttflist}
    missing = wanted - found
    if missing:
        print(f"font cache: rebuilt but still missing {sorted(missing)[:3]}", file=sys.stderr)
        return 1
    print(f"font cache: rebuilt with {len(wanted)} CJK font files ({cachedir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
