"""Where a record comes from: document, place in it, publisher, edition and licence.

Records keep only the document's file name and a place in it (``name.txt:845``, a page
and a section); what is known about the document itself lives once in
``data/sources.toml``. Never a server path: :func:`document_name` strips directories from
anything an importer or an older database row holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rescity.knowledge.domain.taxonomy import read_data

_DIRS = re.compile(r"^.*[\\/]")


def document_name(source: str) -> str:
    """``source`` without any directory part (``/srv/x/seeds/a.txt:12`` → ``a.txt:12``)."""
    return _DIRS.sub("", source or "")


@dataclass(frozen=True)
class Provenance:
    document: str
    line: int | None
    page: int | None
    section: str
    title: str
    publisher: str
    edition: str
    licence: str


def provenance(source_document: str, *, page: int | None = None, section: str = "") -> Provenance:
    """The provenance of a record stored with ``source_document`` (``file[:line]``)."""
    name = document_name(source_document)
    document, _, line = name.partition(":")
    known = read_data("sources.toml").get(document, {})
    return Provenance(
        document=document,
        line=int(line) if line.isdigit() else None,
        page=page,
        section=section,
        title=str(known.get("title", "")),
        publisher=str(known.get("publisher", "")),
        edition=str(known.get("edition", "")),
        licence=str(known.get("licence", "")),
    )
