"""Sphinx configuration of the sklearn-seqlstm documentation.

Build the HTML site with ``make docs`` (into ``docs/_build/html``). The gallery runs
the examples under ``examples/``, which train models; set the environment variable
``SEQLSTM_DOCS_NO_GALLERY=1`` to show their code and text without running them.

CI builds the site with warnings as errors and ``nitpicky = True`` (``make docs-check``),
offline. Links into the documentation of scikit-learn, numpy, pandas, torch, skorch and
Python need their intersphinx inventories, which are fetched from the web: set
``SEQLSTM_DOCS_INTERSPHINX=1`` on a machine with internet access to turn them on.
Without it, references to those libraries stay plain text (``nitpick_ignore_regex``
below), so the offline build is free of warnings.
"""

import os
import re

from sphinx.util import logging

import sklearn_seqlstm

logger = logging.getLogger(__name__)

project = "sklearn-seqlstm"
author = "The sklearn-seqlstm developers"
copyright = author
version = release = sklearn_seqlstm.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx.ext.intersphinx",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
# ``name`` in backquotes (the default role) means a Python object, as in numpydoc.
default_role = "obj"

# -- Cross-references ---------------------------------------------------------------------

# Every reference must resolve (CI builds with -W --keep-going).
nitpicky = True

# The libraries whose names the docstrings and pages link to. Their inventories are
# downloaded at build time, so they are opt-in: CI builds offline,
# and a failed download is a warning, which -W turns into an error.
_INVENTORIES = {
    "python": ("https://docs.python.org/3", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
}
INTERSPHINX = os.environ.get("SEQLSTM_DOCS_INTERSPHINX") == "1"
intersphinx_mapping = _INVENTORIES if INTERSPHINX else {}

# Libraries of the optional extras, which the mapping above does not cover: a
# reference to one of them stays plain text, with or without intersphinx.
_NO_INVENTORY = (
    r"(pm4py|pyarrow|onnx|onnxruntime|skops|safetensors|dask|distributed|ray|networkx"
    r"|matplotlib|joblib|tqdm|statsmodels|scipy)(\..*)?"
)
# Without the inventories, a reference to one of the mapped libraries (or to Python's
# standard library) cannot resolve either; it is shown as plain code text instead of
# failing the build. Names of this package are never ignored: a broken link to one of
# them is an error.
nitpick_ignore_regex = [(r"py:.*", _NO_INVENTORY)]
if not INTERSPHINX:
    nitpick_ignore_regex += [
        (r"py:.*", r"(sklearn|numpy|np|pandas|pd|torch|skorch)(\..*)?"),
        (
            r"py:.*",
            r"(pickle|collections|typing|pathlib|os|io|json|zipfile|gzip|datetime|numbers"
            r"|abc|contextlib)(\..*)?",
        ),
    ]

# -- API reference -----------------------------------------------------------------------

# api.rst lists the public names; autosummary writes one page per name into generated/.
autosummary_generate = True
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
autodoc_member_order = "groupwise"

# The class template (_templates/autosummary/class.rst) lists the methods with
# autodoc, so numpydoc's own member tables would repeat them.
numpydoc_show_class_members = False

# Members that estimators inherit from scikit-learn and that their pages show. The
# rest (metadata-routing requests such as set_fit_request, and the methods that
# PrefixHistories has from collections.abc.Sequence) are scikit-learn's or Python's
# own, documented there, and their docstrings point to pages that are not in this site.
_INHERITED_SHOWN = {"fit_transform", "get_params", "score", "set_params"}


def _skip_inherited(app, what, name, obj, skip, options):
    """Skip a member that comes from outside the package, unless it is in the list."""
    if skip or what != "class":
        return None
    if _defined_here(obj) or name in _INHERITED_SHOWN:
        return None
    return True


# scikit-learn's docstrings (of the inherited members above) link to labels of
# scikit-learn's own site, such as :ref:`accuracy <accuracy_score>`; without intersphinx
# (the build is offline) they would be broken references. Keep their text only.
_FOREIGN_REF = re.compile(r":ref:`([^`<]*?)\s*<[^`>]*>`|:ref:`([^`]*)`")


# They also write parameter names in single backquotes (`X`, `fit_params`), which the
# default role here reads as Python objects: show them as code instead.
_DEFAULT_ROLE = re.compile(r"(?<![`:\w])`([A-Za-z_][\w.]*)`(?![`_])")


def _unlink_foreign_refs(app, what, name, obj, options, lines):
    """Turn the links of docstrings from outside the package into plain text."""
    if _defined_here(obj):
        return
    lines[:] = [
        _DEFAULT_ROLE.sub(r"``\1``", _FOREIGN_REF.sub(lambda m: m.group(1) or m.group(2), line))
        for line in lines
    ]


def _defined_here(obj):
    """Whether a class, function, method or property is defined in the package."""
    function = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    return (getattr(function, "__module__", None) or "").startswith("sklearn_seqlstm")


def _check_api_lists_every_name(app, env):
    """Warn about any name of ``sklearn_seqlstm.__all__`` that api.rst does not list."""
    documented = env.domaindata["py"]["objects"]
    missing = [
        name for name in sklearn_seqlstm.__all__ if f"sklearn_seqlstm.{name}" not in documented
    ]
    if missing:
        logger.warning(
            "api.rst does not list the public names %s: add them to an autosummary table.",
            ", ".join(missing),
        )


def setup(app):
    app.connect("autodoc-skip-member", _skip_inherited)
    app.connect("autodoc-process-docstring", _unlink_foreign_refs)
    app.connect("env-updated", _check_api_lists_every_name)


# -- Gallery -----------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # The examples train LSTMs: SEQLSTM_DOCS_NO_GALLERY=1 builds their pages unrun.
    "plot_gallery": os.environ.get("SEQLSTM_DOCS_NO_GALLERY") != "1",
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    # "Examples using X" at the foot of each API page (_templates/autosummary).
    "doc_module": ("sklearn_seqlstm",),
    "backreferences_dir": "generated/backreferences",
}

# -- HTML --------------------------------------------------------------------------------

html_theme = "alabaster"
html_theme_options = {
    "description": "Predict the next event from a history of events with an LSTM.",
    "fixed_sidebar": True,
    "page_width": "1240px",
    "sidebar_width": "220px",
}
html_title = f"{project} {release}"
html_static_path = []
