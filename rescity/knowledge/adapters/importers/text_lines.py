"""Reading a seed text file into numbered lines, and grouping lines into paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rescity.core.errors import DataFileError

_LIST_ITEM = re.compile(r"^\s*(?:-\s+|\(?\d{1,2}\)|\d{1,2}\.(?!\d)|\([a-z]\)|\(?[ivx]{1,4}\))")
_TERMINAL = (".", "!", "?", ":", ";", '"', "”", ")", "。", "！", "？", "：", "；", "）")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as editors show it
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def read_lines(path: Path) -> list[Line]:
    """The file's lines; a file that is not UTF-8 text is refused naming the first bad line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(str(path), "file not found") from None
    except IsADirectoryError:
        raise DataFileError(str(path), "is a directory, not a text file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataFileError(str(path), f"not UTF-8 text (byte {exc.start})", line=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataFileError(str(path), "binary content (NUL byte) in a text file", line=line)
    return [Line(i + 1, t.rstrip("\r")) for i, t in enumerate(text.split("\n"))]


def paragraphs(lines: list[Line]) -> list[tuple[int, str]]:
    """(first line number, text) per paragraph; a paragraph broken by a page break is rejoined.

    Paragraphs are separated by blank lines. When one does not end a sentence and the next
    starts in lower case, they are one paragraph split by the page layout.
    """
    groups: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for line in lines:
        if line.blank:
            if current:
                groups.append((start, current))
                current = []
            continue
        if current and _LIST_ITEM.match(line.text):
            groups.append((start, current))
            current = []
        if not current:
            start = line.number
        current.append(line.text.strip())
    if current:
        groups.append((start, current))
    out: list[tuple[int, str]] = []
    for number, parts in groups:
        text = re.sub(r"\s+", " ", " ".join(parts)).strip()
        if (
            out
            and not out[-1][1].endswith(_TERMINAL)
            and text[:1].islower()
            and not _LIST_ITEM.match(text)
        ):
            out[-1] = (out[-1][0], out[-1][1] + " " + text)
        else:
            out.append((number, text))
    return out
