"""Photos with a reported problem: checked by content, cleaned, stored under the data dir.

A photo is accepted only when its first bytes say JPEG, PNG or WebP (a name ending in
``.jpg`` proves nothing) and Pillow can decode it as that format. It is then re-encoded from
its pixels alone, so nothing of the file's metadata survives: no EXIF (the phone's GPS
position, the camera's serial number), no XMP, no comments. The orientation EXIF asked for is
applied first, so the photo still shows the right way up. Large photos are scaled down to
:data:`MAX_SIDE` pixels; a thumbnail (JPEG) is stored next to each.

Files get random names in ``<data dir>/community/case_photos/`` (never the database); the
:class:`~rescity.community.cases.adapters.CasePhoto` row ties a file to its case, so serving
one asks the same policy as reading the case.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases.adapters import CasePhoto, WorkOrder
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.i18n import Translator

MAX_PHOTOS = 3
"""Photos one report may carry."""
MAX_SIDE = 2048
"""Longer side of a stored photo, in pixels; larger ones are scaled down."""
THUMB_SIDE = 320
MAX_PIXELS = 50_000_000
"""Decoding more pixels than this (a "decompression bomb") is refused before it starts."""

# Leading bytes of each accepted format: (offset, bytes) pairs that must all match.
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "JPEG": ((0, b"\xff\xd8\xff"),),
    "PNG": ((0, b"\x89PNG\r\n\x1a\n"),),
    "WEBP": ((0, b"RIFF"), (8, b"WEBP")),
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


class PhotoTooLarge(InputError):
    """A photo over the size limit: 413, naming the file and the limit."""

    status_code = 413


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded bytes without metadata, and its thumbnail."""

    format: str  # "JPEG", "PNG" or "WEBP"
    content: bytes
    thumbnail: bytes
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def size_text(n: int) -> str:
    """A byte count for people: "5 MB", "1.5 MB", "200 KB"."""
    if n >= 1 << 20:
        return f"{round(n / (1 << 20), 1):g} MB"
    return f"{round(n / 1024, 1):g} KB"


def sniff(data: bytes) -> str | None:
    """The image format the bytes start with, or None when they are none of ours."""
    for name, marks in _SIGNATURES.items():
        if all(data[at:at + len(mark)] == mark for at, mark in marks):
            return name
    return None


def clean(data: bytes, *, where: str, max_bytes: int, t: Translator) -> CleanPhoto:
    """Check one uploaded photo and re-encode it without metadata.

    Raises :class:`PhotoTooLarge` (413) over ``max_bytes`` and :class:`InputError` (422) for
    anything that is not a decodable JPEG, PNG or WebP; ``where`` names the file in both.
    """
    from PIL import Image, ImageOps

    if len(data) > max_bytes:
        raise PhotoTooLarge([Problem(where, t("ops.photo.too_large",
                                              size=size_text(max_bytes)))],
                            source="photo")
    fmt = sniff(data)
    if fmt is None:
        raise InputError([Problem(where, t("ops.photo.bad_type"))], source="photo")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            if img.width * img.height > MAX_PIXELS:
                raise InputError([Problem(where, t("ops.photo.too_many_pixels"))],
                                 source="photo")
            img.load()
            upright = ImageOps.exif_transpose(img)
        mode = "RGBA" if fmt != "JPEG" and (upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info)) else "RGB"
        pixels = upright.convert(mode)
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InputError([Problem(where, t("ops.photo.unreadable"))], source="photo") from None
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the pixels alone: no info dict, no EXIF, XMP, ICC or comments.
    bare = Image.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, format="JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        bare.save(out, format="PNG", optimize=True)
    else:
        bare.save(out, format="WEBP", quality=85)
    thumb = Image.new("RGB", bare.size, (255, 255, 255))  # transparency shows as white
    thumb.paste(bare, mask=bare.getchannel("A") if mode == "RGBA" else None)
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    small = io.BytesIO()
    thumb.save(small, format="JPEG", quality=80)
    return CleanPhoto(fmt, out.getvalue(), small.getvalue(), bare.width, bare.height)


def folder(data_dir: Path) -> Path:
    return data_dir / "community" / "case_photos"


def store(session: Session, data_dir: Path, case: WorkOrder, photos: list[CleanPhoto], *,
          user_id: int | None) -> list[Path]:
    """Write the files and add their rows to the caller's transaction; the paths written,
    for the caller to remove if the transaction fails."""
    where = folder(data_dir)
    where.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for photo in photos:
            name = secrets.token_hex(16) + _SUFFIX[photo.format]
            for path, content in ((where / name, photo.content),
                                  (where / thumbnail_name(name), photo.thumbnail)):
                path.write_bytes(content)
                written.append(path)
            session.add(CasePhoto(case_id=case.id, name=name, content_type=photo.content_type,
                                  size=len(photo.content), width=photo.width,
                                  height=photo.height, created_by=user_id))
        session.flush()
    except BaseException:
        remove(written)
        raise
    return written


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def thumbnail_name(name: str) -> str:
    return name.rsplit(".", 1)[0] + ".thumb.jpg"


def of_case(session: Session, case_id: int) -> list[CasePhoto]:
    return list(session.scalars(
        select(CasePhoto).where(CasePhoto.case_id == case_id).order_by(CasePhoto.id)))


def file_of(session: Session, data_dir: Path, case: WorkOrder, photo_id: int, *,
            thumb: bool) -> tuple[Path, str]:
    """The stored file of photo ``photo_id`` of ``case`` (already authorised by the caller)
    and its content type; NotFound for a photo of another case or a missing file."""
    photo = session.get(CasePhoto, photo_id)
    if photo is None or photo.case_id != case.id:
        raise NotFound(f"no photo {photo_id} on case {case.id}")
    name = thumbnail_name(photo.name) if thumb else photo.name
    path = folder(data_dir) / name
    if not path.is_file():
        raise NotFound(f"photo {photo_id} of case {case.id} is missing from the data dir")
    return path, "image/jpeg" if thumb else photo.content_type

