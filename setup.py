"""The compiled part of rescity: the assess engine's kernels and the OSM reader's loop, built by
the machine's C compiler at install time (``pip install .`` or ``scripts/setup.sh``), so that no
run waits for one.

Everything else is declared in pyproject.toml.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 lets the compiler unroll and vectorise the per-threshold loops; MSVC spells it /O2.
flags = ["/O2"] if sys.platform == "win32" else ["-O3"]
kernels = [
    Extension(f"rescity.assess.{name}", [f"rescity/assess/{name.replace('.', '/')}.pyx"],
              extra_compile_args=flags)
    # searches; search graph; snapping; the OSM reader's loop over libosmium's OPL text
    for name in ("network._engine", "network._graph", "network._snap", "adapters._opl")
]
setup(ext_modules=cythonize(kernels, language_level=3, quiet=True))
