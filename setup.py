"""The compiled part of rescity: the assess engine's kernels, built by the machine's C compiler
at install time (``pip install .`` or ``scripts/setup.sh``), so that no run waits for one.

Everything else is declared in pyproject.toml.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 lets the compiler unroll and vectorise the per-threshold loops; MSVC spells it /O2.
flags = ["/O2"] if sys.platform == "win32" else ["-O3"]
engine = Extension(
    "rescity.assess.network._engine",
    ["rescity/assess/network/_engine.pyx"],
    extra_compile_args=flags,
)
setup(ext_modules=cythonize([engine], language_level=3, quiet=True))
