"""Photos with a reported problem: checked by content, limited in size, stripped of EXIF
(GPS) before they are stored under the data dir, and served only to those who may read the
case (both backends)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from rescity.community.cases.adapters import CasePhoto, WorkOrder
from tests.community.casework import World

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    """A real JPEG carrying a GPS position (Shanghai) and a camera make in its EXIF."""
    img = Image.new("RGB", (640, 480), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    exif[GPS_IFD] = {1: "N", 2: (31.0, 12.0, 0.0), 3: "E", 4: (121.0, 24.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 128, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def report(w: World, who: str, *photos: tuple[str, bytes, str]) -> Any:
    data = {"service_code": "waste", "place": str(w.places["a1"].id),
            "description": "bins overflowing"}
    files = [("photos", p) for p in photos]
    return w.client.post("/community/cases/new", data=data, files=files, headers=w.h[who],
                         follow_redirects=False)


def stored(w: World) -> list[Path]:
    folder = w.settings.data_dir / "community" / "case_photos"
    return sorted(folder.iterdir()) if folder.exists() else []


def rows(w: World, table: Any) -> int:
    with w.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def filed(w: World, r: Any) -> int:
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_exif_gps_is_removed_before_the_photo_is_stored(world: World) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the input has GPS
    case_id = filed(world, report(world, "res", ("bins.jpg", original, "image/jpeg")))
    with world.uow() as uow:
        photo = uow.session.scalars(select(CasePhoto).where(CasePhoto.case_id == case_id)).one()
        name, pid = photo.name, photo.id
    assert name.endswith(".jpg") and "bins" not in name and len(name) >= 32  # random
    body = (world.settings.data_dir / "community" / "case_photos" / name).read_bytes()
    cleaned = Image.open(io.BytesIO(body))
    assert cleaned.format == "JPEG" and cleaned.size == (640, 480)
    assert len(cleaned.getexif()) == 0 and not cleaned.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in body and b"PhoneMaker" not in body
    # the served photo is the cleaned one
    served = world.client.get(f"/community/cases/{case_id}/photos/{pid}",
                              headers=world.h["res"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == body


def test_a_png_named_jpg_is_accepted_as_the_png_it_is(world: World) -> None:
    case_id = filed(world, report(world, "res", ("photo.jpg", png(), "image/jpeg")))
    with world.uow() as uow:
        photo = uow.session.scalars(select(CasePhoto).where(CasePhoto.case_id == case_id)).one()
        assert photo.content_type == "image/png" and photo.name.endswith(".png")
        assert (photo.width, photo.height) == (50, 40)


def test_a_text_file_named_jpg_is_refused_and_nothing_is_written(world: World) -> None:
    cases = rows(world, WorkOrder)
    r = report(world, "res", ("photo.jpg", png(), "image/png"),
               ("evil.jpg", b"<?php echo 'hi'; ?> not a photo at all", "image/jpeg"))
    assert r.status_code == 422
    assert "evil.jpg" in r.text and "only JPEG, PNG and WebP" in r.text
    assert "bins overflowing" in r.text  # the form comes back filled in
    assert rows(world, WorkOrder) == cases and rows(world, CasePhoto) == 0
    assert stored(world) == []
    # a JPEG header with garbage behind it is no photo either
    r = report(world, "res", ("cut.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image/jpeg"))
    assert r.status_code == 422 and "cannot be read" in r.text
    assert rows(world, WorkOrder) == cases and stored(world) == []


def test_a_photo_over_the_size_limit_is_refused_with_413(world: World) -> None:
    limit = world.settings.community_photo_max_bytes
    assert limit == 5 * 1024 * 1024
    big = jpeg_with_gps() + b"\x00" * limit  # a valid start, too many bytes
    cases = rows(world, WorkOrder)
    r = report(world, "res", ("huge.jpg", big, "image/jpeg"))
    assert r.status_code == 413
    assert "huge.jpg" in r.text and "at most 5 MB" in r.text
    assert rows(world, WorkOrder) == cases and stored(world) == []


def test_only_those_who_may_read_the_case_get_its_photo(world: World) -> None:
    from tests.community.cases.test_location_routing import staff

    gw_b1 = staff(world, "gw_b1", "grid_worker", "b1")
    case_id = filed(world, report(world, "res", ("bins.jpg", jpeg_with_gps(), "image/jpeg")))
    with world.uow() as uow:
        pid = uow.session.scalars(select(CasePhoto.id).where(CasePhoto.case_id == case_id)).one()
    url = f"/community/cases/{case_id}/photos/{pid}"
    for who, headers in (("reporter", world.h["res"]), ("grid a", world.h["grid"]),
                         ("admin", world.h["admin"]), ("handler pm-a", world.h["pma"])):
        r = world.client.get(url, headers=headers)
        assert r.status_code == 200, who
        assert world.client.get(url + "?thumb=1", headers=headers).status_code == 200, who
    for who, headers in (("other resident", world.h["res2"]), ("grid b1", gw_b1),
                         ("volunteer", world.h["vol"]), ("no role", world.h["plain"])):
        assert world.client.get(url, headers=headers).status_code == 404, who
        assert world.client.get(url + "?thumb=1", headers=headers).status_code == 404, who
    assert world.client.get(url).status_code == 401
    # a photo id of another case does not open through this case
    other = filed(world, report(world, "res2", ("x.png", png(), "image/png")))
    assert world.client.get(f"/community/cases/{other}/photos/{pid}",
                            headers=world.h["admin"]).status_code == 404


def test_the_case_page_shows_thumbnails(world: World) -> None:
    case_id = filed(world, report(world, "res", ("a.jpg", jpeg_with_gps(), "image/jpeg"),
                                  ("b.png", png(), "image/png")))
    page = world.client.get(f"/community/cases/{case_id}", headers=world.h["grid"])
    assert page.status_code == 200
    assert page.text.count(f'src="/community/cases/{case_id}/photos/') == 2
    assert "?thumb=1" in page.text
    with world.uow() as uow:
        pid = uow.session.scalars(select(CasePhoto.id).where(CasePhoto.case_id == case_id)).first()
    thumb = world.client.get(f"/community/cases/{case_id}/photos/{pid}?thumb=1",
                             headers=world.h["grid"])
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320


def test_more_photos_than_allowed_are_refused(world: World) -> None:
    r = report(world, "res", *[(f"{n}.png", png(), "image/png") for n in range(4)])
    assert r.status_code == 422 and "at most 3 photos" in r.text
    assert stored(world) == []


def test_a_browser_form_with_no_photo_chosen_files_the_case_without_photos(world: World) -> None:
    """Browsers send an empty file part (filename="") when no photo was chosen."""
    fields = {"service_code": "waste", "place": str(world.places["a1"].id),
              "description": "bins overflowing"}
    parts = b"".join(
        f'--XX\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    parts += (b'--XX\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
              b"Content-Type: application/octet-stream\r\n\r\n\r\n--XX--\r\n")
    r = world.client.post("/community/cases/new", content=parts, headers={
        **world.h["res"], "Content-Type": "multipart/form-data; boundary=XX"},
        follow_redirects=False)
    filed(world, r)
    assert rows(world, CasePhoto) == 0 and stored(world) == []
