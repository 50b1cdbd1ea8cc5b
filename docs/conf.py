"""Sphinx configuration: MyST Markdown pages, furo theme, autodoc for the API reference."""

from __future__ import annotations

import interop

project = "interop"
author = "the interop developers"
copyright = "the interop developers"  # noqa: A001 - Sphinx's name
version = release = interop.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": False}
nitpicky = False

html_theme = "furo"
html_title = f"interop {release}"
html_static_path = ["_static"]
