"""Builds the optional C fast path; everything else is in pyproject.toml.

``optional=True``: without a compiler the package still installs and runs the
pure-Python fast path (slower per call, identical results).
"""

import numpy
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "interop._speedups",
            ["interop/_speedups.c"],
            include_dirs=[numpy.get_include()],
            optional=True,
        ),
        Extension(  # the DLPack C exchange API routes (torch 2.13+, Paddle)
            "interop._exchange",
            ["interop/_exchange.c"],
            include_dirs=[numpy.get_include()],
            optional=True,
        ),
    ]
)
