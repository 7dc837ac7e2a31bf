"""Save and load fitted estimators without pickle: JSON and safetensors only.

A saved model is one zip file (stored, not compressed) holding two members:

- ``model.json``: the format and its version, the estimator kind, the package,
  torch and scikit-learn versions, the parameters, and the fitted attributes
  (classes, vocabulary, and for a model fitted with time or attributes its step
  encoder: categories, scalers, time kind, ...), every label and event with
  its type;
- ``weights.safetensors``: the arrays (network weights, count matrices).

Loading parses these two members and nothing else: the estimator class comes
from a fixed table of this package's own classes (:data:`_KINDS`), never from a
name read out of the file, and the network is built by this package and then
given the weights, whose names and shapes are checked first. No pickle is ever
read, so loading a file cannot run code from it. A folder holding the two
members (an unzipped model) loads too.

Before it trusts a file, loading bounds what the file can cost: the zip members
and the JSON are read under the limits of :mod:`._untrusted`, and every size the
document claims is checked against the weights' shapes before the network is
built (``_serializers._check_network_sizes``).

Each estimator kind has a pair of functions in :data:`_KINDS`: ``dump``
returns (parameters, attributes, arrays) and ``restore`` rebuilds a fitted
estimator from them. A new estimator (a regressor, say) plugs in with its own
pair.
"""

import json
import zipfile
from pathlib import Path

import numpy as np

from ._codec import _require, build_estimator, check_target, write_atomically
from ._untrusted import parse_document, read_members

__all__ = ["load", "save"]

FORMAT = "sklearn-seqlstm"
FORMAT_VERSION = 1
_DOCUMENT = "model.json"
_WEIGHTS = "weights.safetensors"


# Save and load ---------------------------------------------------------------------------


def _kinds():
    """The estimators that can be saved: name -> (class, dump, restore).

    A fixed table: the name read from a file selects a row; nothing else is
    looked up by name.
    """
    from ..baselines._markov import MarkovChainClassifier
    from ..neural._classifier import NextEventClassifier
    from ..neural._regressor import NextValueRegressor
    from ._serializers import dump_lstm, dump_markov, restore_lstm, restore_markov

    return {
        "NextEventClassifier": (NextEventClassifier, dump_lstm, restore_lstm),
        "NextValueRegressor": (NextValueRegressor, dump_lstm, restore_lstm),
        "MarkovChainClassifier": (MarkovChainClassifier, dump_markov, restore_markov),
    }


def save(estimator, path, *, overwrite=False):
    """Write a fitted estimator to ``path`` (see the module docstring for the format)."""
    from sklearn.utils.validation import check_is_fitted

    from .. import __version__

    kind = type(estimator).__name__
    kinds = _kinds()
    if kind not in kinds or type(estimator) is not kinds[kind][0]:
        raise TypeError(f"Cannot save a {kind}: save supports {sorted(kinds)}.")
    check_is_fitted(estimator)
    path = check_target(path, overwrite)
    params, attributes, arrays = kinds[kind][1](estimator)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": kind,
        "versions": _versions(__version__),
        "params": params,
        "attributes": attributes,
    }
    text = json.dumps(document, allow_nan=False, indent=1)
    weights = _safetensors_bytes(arrays)

    def write(temporary):
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_DOCUMENT, text)
            archive.writestr(_WEIGHTS, weights)

    write_atomically(path, write)


def _versions(package_version):
    import sklearn

    versions = {"sklearn_seqlstm": package_version, "scikit-learn": sklearn.__version__}
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return versions


def _safetensors_bytes(arrays):
    from safetensors.numpy import save as save_numpy

    # Arrays leave torch as numpy, on the CPU, so no device is recorded in them.
    return save_numpy({name: np.ascontiguousarray(a) for name, a in arrays.items()})


def load(path, *, device=None):
    """Load an estimator saved with ``save``, running no code from the file.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :meth:`NextEventClassifier.save` or
        :meth:`MarkovChainClassifier.save` (or a folder holding its unzipped
        ``model.json`` and ``weights.safetensors``).
    device : str, default=None
        Torch device of a loaded network, checked as ``fit`` checks it. None
        uses the device it was trained on when that is available here, else the
        CPU (with a warning): a model trained on a GPU loads on a machine
        without one.

    Returns
    -------
    estimator : NextEventClassifier or MarkovChainClassifier
        Fitted, ready to ``predict``, ``recommend`` and ``stream``.

    Raises
    ------
    ValueError
        When the file is not a saved model of this package, was written by a
        newer format version, is corrupt, or was tampered with (unknown
        estimator, missing keys, wrong shapes, sizes that disagree with the
        weights, compressed or oversized members, values no fitted model
        holds); or when ``device`` cannot run here. The file's claims are
        checked against what it holds before any network is built, so a
        hostile file costs no more than its own size.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_seqlstm import MarkovChainClassifier, load
    >>> clf = MarkovChainClassifier().fit([["a"], ["b"], ["a", "b"]], ["b", "a", "a"])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "markov.seqlstm"
    >>> clf.save(path)
    >>> load(path).predict([["a"]]).tolist()
    ['b']
    """
    path = Path(path)
    what = str(path)
    # Checked before any work: a device that cannot run here is refused as fit refuses it.
    requested = None if device is None else _check_device(device)
    text, weights = read_members(path, _DOCUMENT, _WEIGHTS)
    document = parse_document(text, what, _DOCUMENT)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved sklearn-seqlstm model (no format {FORMAT!r}).")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{path}: the format version {version!r} is not an integer.")
    if version > FORMAT_VERSION:
        from .. import __version__

        versions = document.get("versions")
        saved_with = versions.get("sklearn_seqlstm") if isinstance(versions, dict) else None
        raise ValueError(
            f"{path} was saved in model format version {version} (sklearn-seqlstm "
            f"{saved_with if isinstance(saved_with, str) else '?'}); this sklearn-seqlstm "
            f"({__version__}) reads format version {FORMAT_VERSION} at most. Upgrade "
            "sklearn-seqlstm to load it."
        )
    kinds = _kinds()
    kind = document.get("estimator")
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(
            f"{path}: unknown estimator {kind!r:.80}; a saved model is one of {sorted(kinds)}."
        )
    arrays = _read_arrays(weights, what)
    cls, _, restore = kinds[kind]
    params = _require(document, "params", what)
    if isinstance(params, dict) and "min_frequency" not in params:
        if "min_frequency" in cls().get_params(deep=False):
            # Models saved before the parameter existed gave every value seen its vector.
            params = {**params, "min_frequency": 1}
    estimator = build_estimator(cls, params, what)
    attributes = _require(document, "attributes", what)
    if not isinstance(attributes, dict):
        raise ValueError(f"{what}: 'attributes' must be a mapping.")
    return restore(estimator, attributes, arrays, what, requested)


def _check_device(device):
    from ..neural._torch import check_device

    return check_device(device)


def _read_arrays(weights, what):
    from safetensors import SafetensorError
    from safetensors.numpy import load as load_numpy

    try:
        return load_numpy(weights)
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise ValueError(f"{what}: {_WEIGHTS} is not a valid safetensors file: {exc}") from None
