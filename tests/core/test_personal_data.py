"""Field encryption with rotation, keyed lookup digests, masking."""

import pytest

from rescity.core.errors import ConfigError
from rescity.core.security.personal_data import FieldCipher, mask, new_key_spec, parse_keys


def test_sealed_values_open_again_and_hide_the_plaintext() -> None:
    cipher = FieldCipher(parse_keys(new_key_spec("k1")))
    sealed = cipher.seal("13812341234", context="resident.phone")
    assert "13812341234" not in sealed and sealed.startswith("v1:k1:")
    assert cipher.open(sealed, context="resident.phone") == "13812341234"
    # Sealing is randomised: the same value twice gives different ciphertexts.
    assert cipher.seal("13812341234", context="resident.phone") != sealed


def test_a_value_sealed_for_one_field_does_not_open_as_another() -> None:
    cipher = FieldCipher(parse_keys(new_key_spec("k1")))
    sealed = cipher.seal("110101199003074518", context="resident.national_id")
    with pytest.raises(ValueError, match="cannot open"):
        cipher.open(sealed, context="resident.phone")


def test_rotation_keeps_old_values_readable_and_old_digests_found() -> None:
    old = new_key_spec("k1")
    before = FieldCipher(parse_keys(old))
    sealed = before.seal("13812341234", context="p")
    digest = before.lookup_digest("138 1234 1234", context="p")
    after = FieldCipher(parse_keys(new_key_spec("k2") + "," + old))
    assert after.open(sealed, context="p") == "13812341234"
    resealed = after.reseal(sealed, context="p")
    assert resealed.startswith("v1:k2:") and after.open(resealed, context="p") == "13812341234"
    # New digests use the new key; searches still find the one stored under the old key.
    assert after.lookup_digest("13812341234", context="p") != digest
    assert after.lookup_digests("13812341234", context="p") == [
        after.lookup_digest("13812341234", context="p"), digest]
    only_new = FieldCipher(parse_keys(new_key_spec("k3")))
    assert digest not in only_new.lookup_digests("13812341234", context="p")


def test_bad_key_specs_are_refused_with_the_item_named() -> None:
    with pytest.raises(ConfigError, match="item 2"):
        parse_keys(new_key_spec("k1") + ",k2:tooshort")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("110101199003074518", "110***********4518"),
        ("1234", "****"),
    ],
)
def test_masking(value: str, masked: str) -> None:
    assert mask(value) == masked
