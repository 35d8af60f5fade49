"""The base of every community API input (unknown fields refused; NUL characters are refused
for every route by rescity/web/json_guard.py) and the largest row id. Each capability keeps
its own schemas, one per purpose, so a response can never leak a field by accident."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A row id as the tables store it (INTEGER keys): anything else names no row and is refused
# here, not by the database driver (asyncpg cannot send an int beyond 32 bits as INTEGER).
MAX_ID = 2**31 - 1


