"""The compiled part of rescity: the assess engine's kernels, built by the machine's C compiler
at install time (``pip install .`` or ``scripts/setup.sh``), so that no run waits for one.

Everything else is declared in pyproject.toml.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 lets the compiler unroll and vectorise the per-threshold loops; MSVC spells it /O2.
flags = ["/O2"] if sys.platform == "win32" else ["-O3"]
kernels = [
    Extension(f"rescity.assess.network.{name}", [f"rescity/assess/network/{name}.pyx"],
              extra_compile_args=flags)
    for name in ("_engine", "_graph", "_snap")  # searches; search graph; snapping
]
setup(ext_modules=cythonize(kernels, language_level=3, quiet=True))
