"""Demo passwords kept in one file, so that `rescity demo` gives the same logins every start.

The demo's users get generated passwords (no well-known defaults to forget on a server). They
are written once to ``<data_dir>/demo-logins.json`` (readable only by its owner) and read back
on every later start, so a password noted down or saved in a browser keeps working; delete the
file for new ones. Only demo loaders use this; real users choose their own passwords.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from rescity.core.config import Settings


def logins_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-logins.json"


def demo_password(settings: Settings, username: str) -> str:
    """The demo password of ``username``: the kept one, or a new one that is kept from now on."""
    path = logins_file(settings)
    try:
        kept: dict[str, str] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        kept = {}
    if username in kept:
        return kept[username]
    kept[username] = secrets.token_urlsafe(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(kept, fh, indent=1, sort_keys=True)
    return kept[username]
