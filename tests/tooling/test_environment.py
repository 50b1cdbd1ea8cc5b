"""CI must not go green because a framework silently failed to install."""

from __future__ import annotations

import importlib

import pytest

from backends import expected_backends


@pytest.mark.parametrize("name", expected_backends() or ["numpy"])
def test_expected_backend_is_installed(name: str) -> None:
    importlib.import_module(name)
