"""Cleaning one photo, without a database: formats by content, metadata gone from every
format, the photo upright and bounded in size, damaged files refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from rescity.community.cases.photos import MAX_SIDE, PhotoTooLarge, clean, sniff
from rescity.core.errors import InputError
from rescity.core.i18n import translator

GPS_IFD = 0x8825
T = translator("en")


def encoded(fmt: str, *, size: tuple[int, int] = (300, 200), mode: str = "RGB",
            orientation: int = 1) -> bytes:
    img = Image.new(mode, size, (10, 200, 90) if mode == "RGB" else None)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif[GPS_IFD] = {1: "N", 2: (31.0, 12.0, 0.0), 3: "E", 4: (121.0, 24.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_and_every_other_exif_field_are_gone_from_each_format(fmt: str) -> None:
    data = encoded(fmt)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # it was there
    photo = clean(data, where="p", max_bytes=5 << 20, t=T)
    assert photo.format == fmt == sniff(photo.content)
    out = Image.open(io.BytesIO(photo.content))
    assert len(out.getexif()) == 0 and not out.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in photo.content and b"PhoneMaker" not in photo.thumbnail
    assert set(out.info) <= {"dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density",
                             "progressive", "progression", "loop", "background", "duration"}


def test_the_orientation_exif_asked_for_is_applied_before_it_is_dropped() -> None:
    photo = clean(encoded("JPEG", size=(300, 200), orientation=6), where="p",
                  max_bytes=5 << 20, t=T)
    assert (photo.width, photo.height) == (200, 300)


def test_large_photos_are_scaled_down_and_thumbnails_are_small_jpegs() -> None:
    photo = clean(encoded("PNG", size=(4000, 1000)), where="p", max_bytes=20 << 20, t=T)
    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE // 4)
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_sixteen_bit_and_transparent_pngs_are_kept_readable() -> None:
    out = io.BytesIO()
    Image.new("I;16", (40, 30)).save(out, format="PNG")
    assert clean(out.getvalue(), where="p", max_bytes=5 << 20, t=T).format == "PNG"
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (255, 0, 0, 0)).save(out, format="PNG")
    photo = clean(out.getvalue(), where="p", max_bytes=5 << 20, t=T)
    assert Image.open(io.BytesIO(photo.content)).mode == "RGBA"
    assert Image.open(io.BytesIO(photo.thumbnail)).getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a" + b"\x00" * 100, "only JPEG, PNG and WebP"),
    (b"%PDF-1.7 not an image", "only JPEG, PNG and WebP"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "only JPEG, PNG and WebP"),  # RIFF, but no WebP
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cannot be read"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "cannot be read"),
])
def test_what_is_not_a_readable_photo_is_refused_naming_the_file(data: bytes,
                                                                 message: str) -> None:
    with pytest.raises(InputError) as err:
        clean(data, where="photos: x.jpg", max_bytes=5 << 20, t=T)
    assert err.value.status_code == 422
    assert err.value.problems[0].where == "photos: x.jpg"
    assert message in err.value.problems[0].message


def test_the_size_limit_is_checked_before_anything_is_decoded() -> None:
    with pytest.raises(PhotoTooLarge) as err:
        clean(b"\xff\xd8\xff" + b"\x00" * 2048, where="p", max_bytes=1024, t=T)
    assert err.value.status_code == 413 and "at most 1 KB" in err.value.problems[0].message
