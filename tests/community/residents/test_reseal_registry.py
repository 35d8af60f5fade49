"""The key-rotation registry (``residents.reseal.sealed_columns``) lists every column sealed
anywhere, with the context its values are sealed under: a sealed column added later and not
registered fails here, instead of being lost when an old key is removed."""

from __future__ import annotations

import re
from pathlib import Path

import rescity
from rescity.community.cases.runtime import field_policies as ops_policies
from rescity.community.cases.services import CONTACT_CONTEXT as CASE_CONTACT
from rescity.community.help.services import CONTACT_CONTEXT as HELP_CONTACT
from rescity.community.help.volunteers import PHONE_CONTEXT
from rescity.community.outbreak.retention import field_policies as outbreak_policies
from rescity.community.residents import reseal as resealing
from rescity.community.shared.runtime import field_policies
from rescity.community.tracing.services import KEY_CONTEXT
from rescity.core.storage.db import Base

SOURCE = Path(rescity.__file__).parent
# Sealed values kept outside the database: staged import files, deleted after an hour
# (residents/bulk_pages.py STAGED_FOR); a rotation only has to wait that long.
NOT_IN_THE_DATABASE = {"residents/bulk_pages.py"}


def registered() -> dict[str, str]:
    return {c.label: c.context for c in resealing.sealed_columns()}


def test_every_sealed_column_of_the_orm_is_registered_once() -> None:
    columns = {f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns
               if c.name.endswith("_sealed")}
    labels = [c.label for c in resealing.sealed_columns()]
    assert len(labels) == len(set(labels))
    assert set(labels) == columns
    assert len(columns) >= 10  # the residents', visitors', part II's, outbreak's, tracing's


def test_every_lookup_digest_of_a_sealed_value_is_registered_with_it() -> None:
    """``x_digest`` next to ``x_sealed`` is the keyed digest of the same value: a rotation
    recomputes it, or dropping the old key would break duplicate checks."""
    paired = {f"{t.name}.{c.name}": f"{c.name.removesuffix('_digest')}_sealed"
              for t in Base.metadata.tables.values() for c in t.columns
              if c.name.endswith("_digest")
              and f"{c.name.removesuffix('_digest')}_sealed" in t.columns}
    registered_digests = {f"{c.model.__tablename__}.{c.digest}": c.column
                          for c in resealing.sealed_columns() if c.digest}
    assert registered_digests == paired
    assert "community_resident.national_id_digest" in paired


def test_each_column_is_registered_with_the_context_its_values_are_sealed_under() -> None:
    contexts = registered()
    # Personal fields declared encrypted: sealed under "record.field" (FieldPolicy.context).
    for table in (field_policies(), ops_policies(), outbreak_policies()):
        for policy in table:
            if policy.encrypted:
                assert policy.context in contexts.values(), policy.context
    assert contexts["community_ops_volunteer.phone_sealed"] == PHONE_CONTEXT
    assert contexts["community_ops_help_request.contact_sealed"] == HELP_CONTACT
    assert contexts["community_ops_case.reporter_contact_sealed"] == CASE_CONTACT
    assert contexts["community_tracing_venue.key_sealed"] == KEY_CONTEXT


def test_nothing_is_sealed_into_a_column_not_named_sealed() -> None:
    """Every value sealed in the code goes to a ``*_sealed`` attribute or keyword (which the
    tests above tie to the registry), through a file's ``_seal`` helper at most, or is in a
    listed file that keeps it off the database."""
    into_column = re.compile(r"\w+_sealed\s*=\s*(?:\(\s*)?rt\.cipher\.seal\(")
    via_helper = re.compile(r"\w+_sealed\s*=\s*_seal\(")
    stray = []
    for path in (SOURCE / "community").rglob("*.py"):
        rel = path.relative_to(SOURCE / "community").as_posix()
        text = path.read_text("utf-8")
        calls = text.count("cipher.seal(")
        if not calls or rel in NOT_IN_THE_DATABASE:
            continue
        helper = "def _seal(" in text
        if calls != len(into_column.findall(text)) + helper or (
                helper and not via_helper.search(text)):
            stray.append(rel)
    assert stray == []
    outside = [p for p in SOURCE.rglob("*.py") if "community" not in p.parts
               and p.name != "personal_data.py" and "cipher.seal(" in p.read_text("utf-8")]
    assert outside == []
