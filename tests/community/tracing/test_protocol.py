"""The presence-tracing protocol on PyNaCl: slot keys, release of a window's slots only,
visits outside the window undecryptable, advice readable only by the slot's visitors, and
the browser's libsodium-wrappers computing the same keys."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rescity.community.tracing.domain import (
    MAX_WINDOW_SLOTS,
    TraceMaterialError,
    VenueCode,
    b64,
    check_in,
    match,
    read_fragment,
    release,
    slot_keys,
    slot_of,
    slots_between,
    unb64,
    unseal,
    venue_fragment,
)

REPO = Path(__file__).resolve().parents[3]
DAY = datetime(2026, 3, 2, tzinfo=UTC)
CANTEEN = VenueCode(bytes(range(32)), "Canteen of Block 3", "canteen")
CLINIC = VenueCode(bytes(range(32, 64)), "Clinic waiting room", "clinic")


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def published(*releases: list) -> list[dict[str, str]]:  # type: ignore[type-arg]
    return [{"id": r.ident, "key": r.key, "msg": r.message} for rs in releases for r in rs]


def test_slot_keys_are_deterministic_and_differ_by_purpose_slot_and_venue() -> None:
    h = slot_of(at(10))
    a, again, later, other = (slot_keys(CANTEEN.qk, h), slot_keys(CANTEEN.qk, h),
                              slot_keys(CANTEEN.qk, h + 1), slot_keys(CLINIC.qk, h))
    assert a == again
    assert len({a.ident, a.key, a.message_key}) == 3
    assert {a.ident, a.key, a.message_key}.isdisjoint({later.ident, later.key, later.message_key})
    assert {a.ident, a.key, a.message_key}.isdisjoint({other.ident, other.key, other.message_key})
    assert all(len(k) == 32 for k in (a.ident, a.key, a.message_key))


def test_slots_cover_every_hour_a_stay_touches() -> None:
    assert len(slots_between(at(10, 20), at(12, 10))) == 3
    assert len(slots_between(at(10), at(11))) == 1  # the end is exclusive
    assert len(slots_between(at(10, 59), at(11, 1))) == 2


def test_a_check_in_stores_one_sealed_record_per_slot_without_the_venue_in_clear() -> None:
    visits = check_in(CANTEEN, at(10, 20), at(12, 10))
    assert len(visits) == 3
    for v in visits:
        stored = json.dumps(v.__dict__)
        assert "Canteen" not in stored and b64(CANTEEN.qk) not in stored
        with pytest.raises(TraceMaterialError):  # not even with the venue key itself
            unseal(CANTEEN.qk, v.box)


def test_a_trace_releases_its_window_slots_and_no_other() -> None:
    window = release(CANTEEN.qk, at(10), at(12), "Watch for fever for 14 days")
    assert [r.ident for r in window] == [slot_keys(CANTEEN.qk, slot_of(at(h))).ident.hex()
                                         for h in (10, 11)]
    with pytest.raises(ValueError):
        release(CANTEEN.qk, at(10), at(10), "x")
    with pytest.raises(ValueError):
        release(CANTEEN.qk, at(0), at(0, day=8), "x")
    assert MAX_WINDOW_SLOTS == 168


def test_only_the_visitor_in_the_window_matches_and_the_advice_reaches_them() -> None:
    advice = "Watch for fever for 14 days; call the health station before a clinic visit."
    there = check_in(CANTEEN, at(10, 15), at(11, 15))
    earlier_that_day = check_in(CANTEEN, at(7), at(8))
    next_day = check_in(CANTEEN, at(10, 15, day=1), at(11, 15, day=1))
    elsewhere = check_in(CLINIC, at(10, 15), at(11, 15))
    entries = published(release(CANTEEN.qk, at(10), at(11), advice))

    [exposure] = match(there, entries)
    assert (exposure.venue, exposure.kind, exposure.advice) == ("Canteen of Block 3", "canteen",
                                                               advice)
    assert (exposure.arrival, exposure.window_end) == (at(10, 15), at(11))
    for phone in (earlier_that_day, next_day, elsewhere):
        assert match(phone, entries) == []


def test_visits_outside_the_window_stay_undecryptable_with_every_released_key() -> None:
    entries = published(release(CANTEEN.qk, at(10), at(11), "advice"))
    outside = (check_in(CANTEEN, at(11), at(13)) + check_in(CANTEEN, at(9), at(10))
               + check_in(CANTEEN, at(10, day=-3), at(11, day=-3)))
    released = {e["id"] for e in entries}
    assert not released & {v.ident for v in outside}
    for visit in outside:
        for entry in entries:
            with pytest.raises(TraceMaterialError):
                unseal(unb64(entry["key"]), visit.box)


def test_a_record_in_a_released_slot_but_not_overlapping_the_window_gives_no_warning() -> None:
    late = check_in(CANTEEN, at(10, 40), at(11))
    assert match(late, published(release(CANTEEN.qk, at(10), at(10, 30), "advice"))) == []


def test_the_published_advice_opens_only_with_the_key_a_visitor_stored() -> None:
    [entry] = published(release(CANTEEN.qk, at(10), at(11), "secret advice"))
    with pytest.raises(TraceMaterialError):  # the public slot key does not open the advice
        unseal(unb64(entry["key"]), entry["msg"])
    [visit] = check_in(CANTEEN, at(10, 5), at(10, 50))
    record = unseal(unb64(entry["key"]), visit.box)
    assert unseal(unb64(str(record["m"])), entry["msg"])["t"] == "secret advice"


def test_the_fragment_carries_key_name_and_kind_and_round_trips() -> None:
    fragment = venue_fragment(CANTEEN.qk, "食堂 · Block 3", "canteen")
    assert fragment.startswith("v1.") and " " not in fragment and "/" not in fragment
    assert read_fragment("#" + fragment) == VenueCode(CANTEEN.qk, "食堂 · Block 3", "canteen")


NODE_SCRIPT = r"""
const sodium = require(process.argv[1]);
sodium.ready.then(() => {
  const input = JSON.parse(process.argv[2]);
  const S = sodium, v = S.base64_variants.URLSAFE_NO_PADDING;
  const qk = S.from_base64(input.qk, v);
  const label = (p) => S.from_string("rescity-trace-v1|" + p + "|" + input.slot);
  const d = (p) => S.crypto_generichash(32, label(p), qk);
  const raw = S.from_base64(input.box, v);
  const n = S.crypto_secretbox_NONCEBYTES;
  const plain = S.crypto_secretbox_open_easy(raw.subarray(n), raw.subarray(0, n), d("enc"));
  console.log(JSON.stringify({id: S.to_hex(d("id")), key: S.to_base64(d("enc"), v),
                              record: JSON.parse(S.to_string(plain))}));
});
"""


def test_the_browsers_libsodium_derives_the_same_keys_and_opens_the_same_boxes() -> None:
    node = shutil.which("node")
    wrappers = REPO / "node_modules" / "libsodium-wrappers"
    if node is None or not wrappers.exists():
        pytest.skip("node or node_modules/libsodium-wrappers missing (scripts/setup.sh)")
    [visit] = check_in(CANTEEN, at(10, 5), at(10, 50))
    slot = slot_of(at(10))
    arg = json.dumps({"qk": b64(CANTEEN.qk), "slot": slot, "box": visit.box})
    out = subprocess.run([node, "-e", NODE_SCRIPT, str(wrappers), arg], capture_output=True,
                         text=True, check=True, timeout=60)
    got = json.loads(out.stdout)
    keys = slot_keys(CANTEEN.qk, slot)
    assert got["id"] == keys.ident.hex() == visit.ident
    assert got["key"] == b64(keys.key)
    assert got["record"]["n"] == "Canteen of Block 3"
