"""What each estimator saves and how it is rebuilt: the rows of ``_persistence._kinds``.

``dump_*(estimator)`` returns (parameters, attributes, arrays): JSON-able
parameters and attributes, and numpy arrays for safetensors. ``restore_*``
rebuilds the fitted estimator from them, checking every name and shape, and
builds any network from this package's own module class.
"""

import math
import warnings

import numpy as np

from ._persistence import (
    _require,
    decode_array,
    decode_values,
    encode_array,
    encode_params,
    encode_values,
    require_arrays,
)

__all__ = ["dump_lstm", "restore_lstm", "dump_markov", "restore_markov"]


def _table_attributes(estimator):
    """n_features_in_ and feature_names_in_, when fit set them."""
    attributes = {}
    if hasattr(estimator, "n_features_in_"):
        attributes["n_features_in_"] = int(estimator.n_features_in_)
    if hasattr(estimator, "feature_names_in_"):
        attributes["feature_names_in_"] = encode_array(estimator.feature_names_in_, "feature name")
    return attributes


def _restore_table_attributes(estimator, attributes, what):
    if "n_features_in_" in attributes:
        estimator.n_features_in_ = _integer(attributes["n_features_in_"], "n_features_in_", what)
    if "feature_names_in_" in attributes:
        estimator.feature_names_in_ = decode_array(attributes["feature_names_in_"], what)


def _integer(value, name, what, minimum=0):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{what}: {name} must be an integer >= {minimum}, got {value!r}.")
    return value


def _jsonable(value):
    """skorch's history as plain JSON (numpy numbers as Python ones, NaN as None)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


# NextEventClassifier -------------------------------------------------------------------


def dump_lstm(estimator):
    dropped = ["callbacks"]
    if estimator.random_state is not None and not isinstance(estimator.random_state, int):
        dropped.append("random_state")
    params = encode_params(estimator, dropped)
    module = estimator.net_.module_
    attributes = {
        "classes_": encode_array(estimator.classes_, "class label"),
        "events_": encode_values(estimator.events_, "event"),
        "n_epochs_": int(estimator.n_epochs_),
        "early_stopping_": bool(estimator.early_stopping_),
        "device": str(next(module.parameters()).device),
        "history": _jsonable(estimator.net_.history.to_list()),
        **_table_attributes(estimator),
    }
    arrays = {name: tensor.detach().cpu().numpy() for name, tensor in module.state_dict().items()}
    return params, attributes, arrays


def usable_device(name):
    """Whether torch can place tensors on the device ``name`` here."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"the saved device {name!r} is not a torch device.") from None
    if device.type == "cuda":
        return torch.cuda.is_available() and (
            device.index is None or device.index < torch.cuda.device_count()
        )
    if device.type == "mps":
        return torch.backends.mps.is_available()
    return device.type == "cpu"


def _choose_device(saved, requested, what):
    import torch

    if requested is not None:
        try:
            return str(torch.device(requested))
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={requested!r} is not a torch device: {exc}") from None
    if usable_device(saved):
        return saved
    warnings.warn(
        f"{what} was trained on {saved!r}, which is not available here; it is loaded on "
        "the CPU (its device parameter is set to 'cpu').",
        UserWarning,
        stacklevel=4,
    )
    return "cpu"


def restore_lstm(estimator, attributes, arrays, what, device):
    import torch
    from skorch.history import History

    from ._module import N_RESERVED

    estimator.classes_ = decode_array(_require(attributes, "classes_", what), what)
    if len(estimator.classes_) < 2:
        raise ValueError(f"{what}: a NextEventClassifier has at least 2 classes.")
    estimator.events_ = decode_values(_require(attributes, "events_", what), what)
    estimator._event_ids = {event: N_RESERVED + i for i, event in enumerate(estimator.events_)}
    if len(estimator._event_ids) != len(estimator.events_):
        raise ValueError(f"{what}: the vocabulary holds the same event twice.")
    estimator.n_epochs_ = _integer(_require(attributes, "n_epochs_", what), "n_epochs_", what)
    estimator.early_stopping_ = bool(_require(attributes, "early_stopping_", what))
    _restore_table_attributes(estimator, attributes, what)
    saved_device = _require(attributes, "device", what)
    if not isinstance(saved_device, str):
        raise ValueError(f"{what}: device must be a string, got {saved_device!r}.")
    chosen = _choose_device(saved_device, device, what)
    if chosen != saved_device:
        estimator.device = chosen  # refits run where the model now lives

    # The module is this package's own class, sized by the saved parameters and
    # vocabulary; fork_rng keeps the caller's random state, which initialising uses.
    with torch.random.fork_rng(devices=[]):
        net = estimator._build_net(chosen, 0)
        net.initialize()
    module = net.module_
    expected = {
        name: (tuple(tensor.shape), torch.empty(0, dtype=tensor.dtype).numpy().dtype)
        for name, tensor in module.state_dict().items()
    }
    require_arrays(arrays, expected, what)
    module.load_state_dict({name: torch.from_numpy(a.copy()) for name, a in arrays.items()})
    module.eval()
    history = attributes.get("history", [])
    net.history = History(history if isinstance(history, list) else [])
    estimator.net_ = net
    return estimator


# MarkovChainClassifier -----------------------------------------------------------------


def dump_markov(estimator):
    params = encode_params(estimator)
    events = sorted(estimator._event_codes, key=estimator._event_codes.get)
    codes = estimator._event_codes
    attributes = {
        "classes_": encode_array(estimator.classes_, "class label"),
        "events": encode_values(events, "event"),
        "contexts_": [
            [[codes[event] for event in context] for context in contexts]
            for contexts in estimator.contexts_
        ],
        **_table_attributes(estimator),
    }
    arrays = {}
    for k, counts in enumerate(estimator.counts_):
        arrays[f"counts_{k}.data"] = counts.data.astype(np.float64)
        arrays[f"counts_{k}.indices"] = counts.indices.astype(np.int64)
        arrays[f"counts_{k}.indptr"] = counts.indptr.astype(np.int64)
    for k, keys in enumerate(estimator._context_keys, start=1):
        arrays[f"context_keys_{k}"] = np.asarray(keys, dtype=np.int64)
    return params, attributes, arrays


def restore_markov(estimator, attributes, arrays, what, device):
    from scipy import sparse

    estimator.classes_ = decode_array(_require(attributes, "classes_", what), what)
    events = decode_values(_require(attributes, "events", what), what)
    estimator._event_codes = {event: code for code, event in enumerate(events)}
    contexts = _require(attributes, "contexts_", what)
    order = estimator.order
    if not isinstance(contexts, list) or len(contexts) != order + 1:
        raise ValueError(f"{what}: contexts_ must hold {order + 1} lists (order {order}).")
    n_classes = len(estimator.classes_)
    expected = {}
    for k, level in enumerate(contexts):
        if not isinstance(level, list):
            raise ValueError(f"{what}: contexts_[{k}] must be a list.")
        expected[f"counts_{k}.data"] = (None, np.float64)
        expected[f"counts_{k}.indices"] = (None, np.int64)
        expected[f"counts_{k}.indptr"] = ((len(level) + 1,), np.int64)
        if k:
            expected[f"context_keys_{k}"] = ((len(level),), np.int64)
    require_arrays(arrays, expected, what)
    estimator.contexts_, estimator.counts_, estimator._context_keys = [], [], []
    for k, level in enumerate(contexts):
        try:
            context_events = [
                tuple(events[_integer(code, "an event code", what)] for code in context)
                for context in level
            ]
        except (IndexError, TypeError):
            raise ValueError(f"{what}: contexts_[{k}] holds an unknown event code.") from None
        if any(len(context) != k for context in context_events):
            raise ValueError(f"{what}: contexts_[{k}] must hold contexts of {k} events.")
        estimator.contexts_.append(context_events)
        try:
            counts = sparse.csr_matrix(
                (
                    arrays[f"counts_{k}.data"],
                    arrays[f"counts_{k}.indices"],
                    arrays[f"counts_{k}.indptr"],
                ),
                shape=(len(level), n_classes),
            )
            counts.check_format(full_check=True)
        except ValueError as exc:
            raise ValueError(f"{what}: the counts of order {k} are malformed: {exc}") from None
        estimator.counts_.append(counts)
        if k:
            estimator._context_keys.append(arrays[f"context_keys_{k}"].astype(np.intp))
    _restore_table_attributes(estimator, attributes, what)
    return estimator
