"""Types of the compiled OPL loop (``_opl.pyx``)."""

from collections.abc import Callable
from typing import Any

import numpy.typing as npt

class Scan:
    ids: npt.NDArray[Any]
    lon: npt.NDArray[Any]
    lat: npt.NDArray[Any]
    counts: npt.NDArray[Any]
    bad: npt.NDArray[Any]

def scan(data: bytes, col: Any) -> Scan: ...
def decode_tags(field: bytes, fallback: Callable[[bytes], dict[str, str]]) -> dict[str, str]: ...
