"""Checks for text fields of page forms that the app-wide guard cannot see.

:mod:`rescity.web.json_guard` refuses NUL characters in JSON bodies, URL-encoded forms and
query strings, but passes multipart bodies unchecked (files may hold any byte). A form
posted as multipart — the report page with its photos, or any form a client chooses to send
that way — has its text fields checked here instead, all at once.
"""

from __future__ import annotations

from rescity.core.errors import InputError, Problem
from rescity.core.i18n import Translator


def refuse_nul(fields: dict[str, str], *, t: Translator) -> None:
    """InputError naming every field that holds a NUL character (PostgreSQL text cannot)."""
    problems = [Problem(name, t("ops.form.nul")) for name, value in fields.items()
                if "\x00" in value]
    if problems:
        raise InputError(problems, source="form")
