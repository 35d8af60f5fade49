"""The base of every community API input (unknown fields and NUL characters refused) and the
largest row id. Each capability keeps its own schemas, one per purpose, so a response can
never leak a field by accident."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it here, naming the field, not in the driver.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


# A row id as the tables store it (INTEGER keys): anything else names no row and is refused
# here, not by the database driver (asyncpg cannot send an int beyond 32 bits as INTEGER).
MAX_ID = 2**31 - 1


