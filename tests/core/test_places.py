"""The administrative hierarchy keeps its levels in order and its paths consistent."""

import pytest

from rescity.core.errors import InputError
from rescity.core.places import PlaceLevel, add_place, contains, places_within
from rescity.core.storage.uow import UnitOfWork


def test_paths_nest_and_scoped_queries_find_what_is_below(session_factory) -> None:
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        other = add_place(s, level=PlaceLevel.DISTRICT, code="d2", name_zh="区2", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        uow.commit()
        assert contains(city.path, sub.path) and contains(dist.path, sub.path)
        assert not contains(other.path, sub.path)
        assert [p.code for p in places_within(s, dist.path)] == ["d", "s"]
        assert [p.code for p in places_within(s, city.path, PlaceLevel.DISTRICT)] == ["d", "d2"]


def test_levels_cannot_be_skipped_and_codes_are_unique(session_factory) -> None:
    with UnitOfWork(session_factory) as uow:
        city = add_place(uow.session, level=PlaceLevel.CITY, code="c", name_zh="城")
        with pytest.raises(InputError, match="cannot sit directly below a city"):
            add_place(uow.session, level=PlaceLevel.GRID, code="g", name_zh="网格", parent=city)
        with pytest.raises(InputError, match="already used"):
            add_place(uow.session, level=PlaceLevel.CITY, code="c", name_zh="城")
