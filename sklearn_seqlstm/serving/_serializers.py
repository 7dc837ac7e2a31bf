"""What each estimator saves and how it is rebuilt: the rows of ``_persistence._kinds``.

``dump_*(estimator)`` returns (parameters, attributes, arrays): JSON-able
parameters and attributes, and numpy arrays for safetensors. ``restore_*``
rebuilds the fitted estimator from them, checking every name and shape, and
builds any network from this package's own module class.
"""

import math
import warnings

import numpy as np

from ._codec import (
    _require,
    decode_array,
    decode_values,
    encode_array,
    encode_params,
    encode_values,
    require_arrays,
)
from ._history_counts_io import dump_history_counts, restore_history_counts

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


# NextEventClassifier and NextValueRegressor ----------------------------------------------


def dump_lstm(estimator):
    dropped = ["callbacks"]
    if estimator.random_state is not None and not isinstance(estimator.random_state, int):
        dropped.append("random_state")
    params = encode_params(estimator, dropped)
    module = estimator.net_.module_
    params.update(_fitted_architecture(estimator, module, params))
    attributes = {
        **_dump_target(estimator),
        "events_": encode_values(estimator.events_, "event"),
        "n_epochs_": int(estimator.n_epochs_),
        "early_stopping_": bool(estimator.early_stopping_),
        # The sizes "auto" resolved to in fit: the network is rebuilt with them.
        "embedding_dim_": int(estimator.embedding_dim_),
        "batch_size_": int(estimator.batch_size_),
        "device": str(next(module.parameters()).device),
        "history": _jsonable(estimator.net_.history.to_list()),
        **_table_attributes(estimator),
        # What fit's X carried beside its events, checked again at predict time.
        "input_columns": list(estimator._input_columns),
    }
    if getattr(estimator, "_steps", None) is not None:
        attributes["steps"] = _dump_steps(estimator._steps)
    arrays = {name: tensor.detach().cpu().numpy() for name, tensor in module.state_dict().items()}
    counts_attributes, counts_arrays = dump_history_counts(estimator)
    attributes.update(counts_attributes)
    arrays.update(counts_arrays)
    return params, attributes, arrays


def _fitted_architecture(estimator, module, params):
    """The parameters that shape the network, as it was fitted.

    ``set_params(hidden_size=8)`` after ``fit`` changes the parameter, not the
    trained network; load rebuilds the network from the saved parameters, so
    they must be those it was trained with. A parameter changed since is saved
    at its fitted value, with a warning.
    """
    fitted = {"hidden_size": module.lstm.hidden_size, "num_layers": module.lstm.num_layers}
    if "copy_from_history" in params:
        # Without the copy the network has no copy read-out; with copy_from_history=True
        # it still has none when no class is an event, which load finds again.
        copies = bool(params["copy_from_history"]) and estimator._token_class() is not None
        if copies != module.copies:
            fitted["copy_from_history"] = module.copies
    changed = {name: value for name, value in fitted.items() if params.get(name) != value}
    if changed:
        warnings.warn(
            f"{type(estimator).__name__} was fitted with "
            f"{', '.join(f'{name}={value!r}' for name, value in changed.items())}, which "
            "set_params has changed since; the trained network is saved, with these values.",
            UserWarning,
            stacklevel=4,
        )
    return changed


def _dump_target(estimator):
    """What the read-out maps to: the classes, or the scale of the numbers predicted."""
    if hasattr(estimator, "classes_"):
        return {"classes_": encode_array(estimator.classes_, "class label")}
    target = {
        "target_mean_": float(estimator.target_mean_),
        "target_scale_": float(estimator.target_scale_),
    }
    if getattr(estimator, "bin_edges_", None) is not None:
        # JSON numbers: float repr round-trips every finite float64 exactly.
        target["bins"] = {
            "statistic": estimator._bin_statistic,
            "edges": estimator.bin_edges_.tolist(),
            "quantiles": estimator.bin_quantiles_.tolist(),
            "means": estimator.bin_means_.tolist(),
        }
    return target


def _restore_target(estimator, attributes, what):
    from ..neural._classifier import NextEventClassifier

    if isinstance(estimator, NextEventClassifier):
        estimator.classes_ = decode_array(_require(attributes, "classes_", what), what, True)
        if len(estimator.classes_) < 2:
            raise ValueError(f"{what}: a NextEventClassifier has at least 2 classes.")
        return
    for name in ("target_mean_", "target_scale_"):
        value = _require(attributes, name, what)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{what}: {name} must be a number, got {value!r}.")
        if not math.isfinite(value) or (name == "target_scale_" and value <= 0):
            raise ValueError(f"{what}: {name} must be finite (and the scale positive).")
        setattr(estimator, name, float(value))
    _restore_bins(estimator, attributes.get("bins"), what)


def _restore_bins(estimator, bins, what):
    """The quantile bins of a regressor that learned a distribution (None: it did not).

    Checked in full before use: the median is read off these tables, so a table
    out of order or holding inf would give wrong or infinite predictions. Their
    number is checked against the read-out's weights afterwards, which bounds
    their size by the file's.
    """
    from ..neural._target_bins import N_LEVELS

    if bins is None:
        estimator.bin_edges_ = estimator.bin_quantiles_ = estimator.bin_means_ = None
        estimator._bin_statistic = None
        return
    if not isinstance(bins, dict) or bins.get("statistic") not in ("median", "mean"):
        raise ValueError(f"{what}: 'bins' must hold a statistic, 'median' or 'mean'.")

    def numbers(name, shape):
        value = bins.get(name)
        rows = value if len(shape) == 2 and isinstance(value, list) else [value]
        # JSON numbers only: numpy would also read strings such as "1".
        well_formed = all(
            isinstance(row, list) and all(_finite_number(v) for v in row) for row in rows
        )
        array = np.array(value, dtype=np.float64) if well_formed else None
        if array is None or array.shape != shape:
            raise ValueError(f"{what}: the bins' {name} must be finite numbers of shape {shape}.")
        return array

    means = bins.get("means")
    n_bins = len(means) if isinstance(means, list) else 0
    if n_bins < 1:
        raise ValueError(f"{what}: the bins' means must be a non-empty list of numbers.")
    edges = numbers("edges", (n_bins - 1,))
    quantiles = numbers("quantiles", (n_bins, N_LEVELS + 1))
    if np.any(np.diff(edges) <= 0) or np.any(np.diff(quantiles, axis=1) < 0):
        raise ValueError(f"{what}: the bins' edges and quantiles must be in increasing order.")
    estimator.bin_edges_, estimator.bin_quantiles_ = edges, quantiles
    estimator.bin_means_ = numbers("means", (n_bins,))
    estimator._bin_statistic = bins["statistic"]


def _dump_steps(steps):
    """The state of a fitted StepEncoder (:mod:`._steps`): plain data, values typed."""
    encodings = []
    for name, encoding in steps.encodings.items():
        if encoding["kind"] == "categorical":
            categories = encode_values(encoding["categories"], f"category of {name!r}")
            encodings.append({"kind": "categorical", "categories": categories})
        else:
            numeric = {
                "kind": "numeric",
                "mean": float(encoding["mean"]),
                "std": float(encoding["std"]),
            }
            if "categories" in encoding:  # also read as codes
                numeric["categories"] = [float(v) for v in encoding["categories"]]
            encodings.append(numeric)
    document = {
        "time_features": bool(steps.time_features),
        "attributes": bool(steps.attributes),
        "sequence_context": steps.sequence_context,
        "min_frequency": int(steps.min_frequency),
        "event_attributes": encode_values(steps.event_attributes, "attribute name"),
        "sequence_attributes": encode_values(steps.sequence_attributes, "attribute name"),
        # In the order of steps.encodings: event attributes, then sequence attributes.
        "encodings": encodings,
        "time_kind": steps.time_kind,
        "time_encoding": steps.time_encoding,
    }
    if steps.time_kind is not None:
        document["time_mean"] = [float(v) for v in steps.time_mean]
        document["time_std"] = [float(v) for v in steps.time_std]
        if steps.time_encoding == "piecewise":
            document["time_edges"] = [[float(v) for v in edges] for edges in steps.time_edges]
    return document


def _restore_steps(document, what):
    """The StepEncoder of :func:`_dump_steps`, every value checked."""
    from ..neural._steps import StepEncoder

    if not isinstance(document, dict):
        raise ValueError(f"{what}: 'steps' must be a mapping.")
    context = _require(document, "sequence_context", what)
    if context not in ("every_step", "first_step"):
        raise ValueError(f"{what}: unknown sequence_context {context!r}.")
    # Files written before rare values were pooled kept every value seen: 1.
    min_frequency = _integer(document.get("min_frequency", 1), "min_frequency", what, 1)
    steps = StepEncoder(
        time_features=bool(_require(document, "time_features", what)),
        attributes=bool(_require(document, "attributes", what)),
        sequence_context=context,
        min_frequency=min_frequency,
    )
    steps.event_attributes = decode_values(_require(document, "event_attributes", what), what)
    steps.sequence_attributes = decode_values(_require(document, "sequence_attributes", what), what)
    names = [*steps.event_attributes, *steps.sequence_attributes]
    encodings = _require(document, "encodings", what)
    if not isinstance(encodings, list) or len(encodings) != len(names):
        raise ValueError(f"{what}: 'encodings' must hold one encoding per attribute {names}.")
    steps.encodings = {}
    for name, encoding in zip(names, encodings, strict=True):
        kind = _require(encoding, "kind", what)
        if kind == "categorical":
            categories = decode_values(_require(encoding, "categories", what), what)
            steps.encodings[name] = {"kind": kind, "categories": categories}
        elif kind == "numeric":
            mean, std = _require(encoding, "mean", what), _require(encoding, "std", what)
            if not all(_finite_number(v) for v in (mean, std)) or std <= 0:
                raise ValueError(f"{what}: the scaler of {name!r} is not a finite mean and std.")
            steps.encodings[name] = {"kind": kind, "mean": float(mean), "std": float(std)}
            if "categories" in encoding:
                steps.encodings[name]["categories"] = _integer_codes(
                    encoding["categories"], name, what
                )
        else:
            raise ValueError(f"{what}: unknown encoding kind {kind!r} of {name!r}.")
    steps.time_kind = document.get("time_kind")
    if steps.time_kind not in (None, "numeric", "datetime"):
        raise ValueError(f"{what}: unknown time kind {steps.time_kind!r}.")
    # Files written before the gaps could be read piecewise standardised them.
    steps.time_encoding = document.get("time_encoding", "standardised")
    if steps.time_encoding not in ("standardised", "piecewise"):
        raise ValueError(f"{what}: unknown time_encoding {steps.time_encoding!r}.")
    if steps.time_kind is not None:
        for key in ("time_mean", "time_std"):
            values = _require(document, key, what)
            if not (isinstance(values, list) and len(values) == 2):
                raise ValueError(f"{what}: {key} must be a list of 2 numbers.")
            if not all(_finite_number(v) for v in values):
                raise ValueError(f"{what}: {key} must hold finite numbers.")
            if key == "time_std" and min(values) <= 0:  # fit sets a zero spread to 1
                raise ValueError(f"{what}: time_std must hold positive numbers.")
            setattr(steps, key, np.array(values, dtype=np.float64))
        if steps.time_encoding == "piecewise":
            edges = _require(document, "time_edges", what)
            if not (isinstance(edges, list) and len(edges) == 2):
                raise ValueError(f"{what}: time_edges must be 2 lists of edges.")
            steps.time_edges = [_time_edges(e, what) for e in edges]
    if not steps.uses_anything:
        raise ValueError(f"{what}: 'steps' uses neither time nor attributes.")
    return steps


def _integer_codes(values, name, what):
    """The codes of a numeric attribute also read as a category: distinct finite integers."""
    if not (isinstance(values, list) and all(_finite_number(v) for v in values)):
        raise ValueError(f"{what}: the codes of {name!r} must be a list of finite numbers.")
    codes = [float(v) for v in values]
    if any(v != round(v) for v in codes) or len(set(codes)) != len(codes):
        raise ValueError(f"{what}: the codes of {name!r} must be distinct integers.")
    return codes


def _time_edges(values, what):
    """One gap's piecewise-linear edges: 1 to TIME_PIECES + 1 finite numbers, increasing.

    Bounded as fit bounds them, so a file cannot make the step table wide.
    """
    from ..neural._steps import TIME_PIECES

    if not (isinstance(values, list) and 1 <= len(values) <= TIME_PIECES + 1):
        raise ValueError(f"{what}: time_edges must be lists of 1 to {TIME_PIECES + 1} numbers.")
    if not all(_finite_number(v) for v in values):
        raise ValueError(f"{what}: time_edges must hold finite numbers.")
    edges = np.array(values, dtype=np.float64)
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"{what}: time_edges must be in increasing order.")
    return edges


def _check_input_columns(steps, columns, what):
    """The columns predict checks X against must be those the step encoder reads.

    Predict checks X's columns against ``input_columns``, then the encoder reads
    its own attribute names: were they to differ, a column the check let through
    would be missing to the encoder. The names are those of
    ``neural._estimator.input_columns``.
    """
    # Their form, as input_columns writes them: the time, then event, then sequence
    # attributes (a model that uses none of them may still have been fitted on them).
    ranks = [
        0 if column in ("datetime time", "numeric time") else
        1 if column.startswith("the event attribute ") else
        2 if column.startswith("the sequence attribute ") else 3
        for column in columns
    ]  # fmt: skip
    if 3 in ranks or ranks != sorted(ranks) or ranks.count(0) > 1:
        raise ValueError(f"{what}: input_columns {columns!r:.80} are not columns of histories.")
    if steps is None:
        return
    names = [*steps.event_attributes, *steps.sequence_attributes]
    if len(set(map(repr, names))) != len(names):
        raise ValueError(f"{what}: 'steps' names an attribute twice.")
    if not steps.attributes and names:
        raise ValueError(f"{what}: 'steps' reads attributes, but attributes=False.")
    rest = columns[1:] if columns and columns[0].endswith(" time") else columns
    if steps.time_kind is not None and columns[:1] != [f"{steps.time_kind} time"]:
        raise ValueError(f"{what}: input_columns lack the {steps.time_kind} time it reads.")
    expected = [f"the event attribute {name!r}" for name in steps.event_attributes]
    expected += [f"the sequence attribute {name!r}" for name in steps.sequence_attributes]
    if steps.attributes and rest != expected:
        raise ValueError(f"{what}: input_columns do not match the attributes of 'steps'.")


def _finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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

    from ..neural._module import N_RESERVED

    if estimator.callbacks is not None:  # save never writes them: they may hold code
        raise ValueError(f"{what}: a saved model holds no callbacks.")
    _restore_target(estimator, attributes, what)
    estimator.events_ = decode_values(_require(attributes, "events_", what), what)
    estimator._event_ids = {event: N_RESERVED + i for i, event in enumerate(estimator.events_)}
    if len(estimator._event_ids) != len(estimator.events_):
        raise ValueError(f"{what}: the vocabulary holds the same event twice.")
    # The step encoder of a model fitted with time or attributes (None: a plain model),
    # restored before the network, whose input size it sets.
    steps = attributes.get("steps")
    estimator._steps = None if steps is None else _restore_steps(steps, what)
    estimator.event_attributes_ = [] if steps is None else estimator._steps.event_attributes
    estimator.sequence_attributes_ = [] if steps is None else estimator._steps.sequence_attributes
    estimator.time_kind_ = None if steps is None else estimator._steps.time_kind
    columns = _require(attributes, "input_columns", what)
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise ValueError(f"{what}: input_columns must be a list of strings.")
    _check_input_columns(estimator._steps, columns, what)
    estimator._input_columns = columns
    estimator.n_epochs_ = _integer(_require(attributes, "n_epochs_", what), "n_epochs_", what)
    estimator.early_stopping_ = bool(_require(attributes, "early_stopping_", what))
    for name in ("embedding_dim_", "batch_size_"):
        setattr(estimator, name, _integer(_require(attributes, name, what), name, what, 1))
    _restore_table_attributes(estimator, attributes, what)
    restore_history_counts(estimator, attributes, arrays, what)  # takes its arrays out
    saved_device = _require(attributes, "device", what)
    if not isinstance(saved_device, str):
        raise ValueError(f"{what}: device must be a string, got {saved_device!r}.")
    chosen = _choose_device(saved_device, device, what)
    if chosen != saved_device:
        estimator.device = chosen  # refits run where the model now lives

    _check_network_sizes(estimator, arrays, what)
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
    if getattr(module, "copies", False) and not np.array_equal(
        arrays["token_class"], module.token_class.cpu().numpy()
    ):
        # Built from classes_ and events_ above; a saved map that differs would make
        # the copy read-out count the wrong classes.
        raise ValueError(
            f"{what}: the weight 'token_class' does not map the events to the classes "
            "(classes_ and events_) of the model."
        )
    _check_output_bounds(estimator, arrays, what)
    module.load_state_dict({name: torch.from_numpy(a.copy()) for name, a in arrays.items()})
    module.eval()
    history = attributes.get("history", [])
    if not (isinstance(history, list) and all(isinstance(epoch, dict) for epoch in history)):
        raise ValueError(f"{what}: history must be a list of epochs (mappings).")
    net.history = History(history)
    estimator.net_ = net
    return estimator


def _check_network_sizes(estimator, arrays, what):
    """Every size the document claims against the shapes of the weights, before building.

    Building the network from the saved sizes costs their memory and time (a
    hidden_size of 6000 costs 550 MB, 20000 layers a minute) before any weight
    is read. The weights' shapes are bounded by the bytes the file holds, so a
    size that agrees with them costs no more than the file.
    """

    from ..neural._module import N_RESERVED

    def shape(name, ndim):
        array = arrays.get(name)
        if array is None or array.ndim != ndim:
            raise ValueError(f"{what}: the weights lack the {ndim}-D weight {name!r}.")
        return array.shape

    def agree(field, claimed, found, name):
        if claimed != found:
            raise ValueError(
                f"{what}: {field} is {claimed!r:.40} but the weight {name!r} has {found!r:.40}; "
                "the file is inconsistent (tampered with or damaged)."
            )

    n_tokens, embedding_dim = shape("embedding.weight", 2)
    agree("embedding_dim_", estimator.embedding_dim_, embedding_dim, "embedding.weight")
    agree(
        "the number of events_ (+ 4 reserved tokens)",
        N_RESERVED + len(estimator.events_),
        n_tokens,
        "embedding.weight",
    )
    layers = 0
    while f"lstm.weight_ih_l{layers}" in arrays:
        layers += 1
    agree("num_layers", estimator.num_layers, layers, "lstm.weight_ih_l*")
    four_hidden, hidden_size = shape("lstm.weight_hh_l0", 2)
    agree("hidden_size", estimator.hidden_size, hidden_size, "lstm.weight_hh_l0")
    n_outputs, _ = shape("output.weight", 2)
    classes = getattr(estimator, "classes_", None)
    bins = getattr(estimator, "bin_means_", None)
    if classes is not None:
        agree("the number of classes_", len(classes), n_outputs, "output.weight")
    else:
        agree("the number of bins", 1 if bins is None else len(bins), n_outputs, "output.weight")
    steps = estimator._steps
    input_size = embedding_dim + (0 if steps is None else steps.n_numeric)
    for i, cardinality in enumerate([] if steps is None else steps.cat_cardinalities):
        name = f"attribute_embeddings.{i}.weight"
        rows, width = shape(name, 2)
        agree(f"the number of codes of attribute {i}", cardinality, rows, name)
        input_size += width
    agree("the step input size", input_size, shape("lstm.weight_ih_l0", 2)[1], "lstm.weight_ih_l0")


# float32 overflows at 3.4e38; sums of two bounded terms must stay below it.
_MAX_OUTPUT = 1e38


def _check_output_bounds(estimator, arrays, what):
    """Refuse weights whose sums could overflow float32: they give NaN or inf.

    Each layer's output is bounded by its weights: an LSTM's hidden state
    o * tanh(c) lies in [-1, 1], so a gate's input is at most the sum of the
    absolute weights times the largest input, plus the biases; a read-out's
    output is at most its absolute weights and bias summed. Weights finite in
    float32 can still sum beyond its range (weights near 3e38 gave NaN
    probabilities in 22 of 40 trials); no trained model comes near it. The
    numeric step features, standardised data, count as 1 here.
    """

    def array(name):
        return np.abs(arrays[name].astype(np.float64))

    def bound(name):
        return float((array(f"{name}.weight").sum(axis=1) + array(f"{name}.bias")).max())

    tables = [name for name in arrays if name.endswith("embedding.weight")]
    largest_input = max([1.0, *(float(array(name).max(initial=0)) for name in tables)])
    sizes = [0.0]
    layer = 0
    while f"lstm.weight_ih_l{layer}" in arrays:
        gates = array(f"lstm.weight_ih_l{layer}").sum(axis=1) * (largest_input if not layer else 1)
        gates += array(f"lstm.weight_hh_l{layer}").sum(axis=1)
        gates += array(f"lstm.bias_ih_l{layer}") + array(f"lstm.bias_hh_l{layer}")
        sizes.append(float(gates.max()))
        layer += 1
    logits = bound("output")
    if "repeat_shift.weight" in arrays:  # the copy read-out shifts the logits
        logits += bound("repeat_shift")
    sizes += [logits, bound("gate") if "gate.weight" in arrays else 0.0]
    too_large = max(sizes) > _MAX_OUTPUT
    # Predictions in the units of y, float64; read off the bins' tables (finite, checked
    # on load) when the network learned a distribution.
    if getattr(estimator, "bin_edges_", None) is None and hasattr(estimator, "target_scale_"):
        with np.errstate(over="ignore"):
            largest = abs(estimator.target_mean_) + estimator.target_scale_ * logits
        too_large = too_large or not np.isfinite(largest)
    if too_large:
        raise ValueError(
            f"{what}: the weights (or the target scale) make the network's outputs overflow; "
            "no trained model has such weights."
        )


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
    estimator.classes_ = decode_array(_require(attributes, "classes_", what), what, True)
    events = decode_values(_require(attributes, "events", what), what)
    estimator._event_codes = {event: code for code, event in enumerate(events)}
    if len(estimator._event_codes) != len(events):
        raise ValueError(f"{what}: the events of the model are not distinct.")
    contexts = _require(attributes, "contexts_", what)
    order = estimator.order
    if not isinstance(contexts, list) or len(contexts) != order + 1:
        raise ValueError(f"{what}: contexts_ must hold {order + 1} lists (order {order}).")
    if contexts[0] != [[]]:
        raise ValueError(f"{what}: contexts_[0] must hold the one empty context.")
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
    parents = {(): 0}  # the contexts one event shorter, by their event codes
    for k, level in enumerate(contexts):
        codes = _context_codes(level, k, len(events), what)
        estimator.contexts_.append([tuple(events[code] for code in context) for context in codes])
        estimator.counts_.append(_restore_counts(arrays, k, len(level), estimator, what))
        if k:
            # predict_proba finds a context by its key, (parent's number) * n_events +
            # (code of its first event), in these sorted keys: they must be those of
            # contexts_, or a history would read another context's counts.
            keys = arrays[f"context_keys_{k}"]
            try:
                expected_keys = [
                    parents[context[1:]] * len(events) + context[0] for context in codes
                ]
            except KeyError:
                raise ValueError(
                    f"{what}: contexts_[{k}] holds a context whose tail is not in "
                    f"contexts_[{k - 1}]."
                ) from None
            if keys.tolist() != expected_keys or (np.diff(keys) <= 0).any():
                raise ValueError(f"{what}: context_keys_{k} does not match contexts_[{k}].")
            estimator._context_keys.append(keys.astype(np.intp))
        parents = {context: i for i, context in enumerate(codes)}
    _restore_table_attributes(estimator, attributes, what)
    return estimator


def _context_codes(level, k, n_events, what):
    """The contexts of length ``k`` as tuples of event codes, each code checked."""
    codes = []
    for context in level:
        if not (
            isinstance(context, list)
            and len(context) == k
            and all(
                isinstance(code, int) and not isinstance(code, bool) and 0 <= code < n_events
                for code in context
            )
        ):
            raise ValueError(
                f"{what}: contexts_[{k}] must hold contexts of {k} known event codes, got "
                f"{context!r:.80}."
            )
        codes.append(tuple(context))
    return codes


def _restore_counts(arrays, k, n_contexts, estimator, what):
    """The CSR count matrix of order ``k``: well-formed, counts non-negative, rows positive."""
    from scipy import sparse

    n_classes = len(estimator.classes_)
    data, indices = arrays[f"counts_{k}.data"], arrays[f"counts_{k}.indices"]
    indptr = arrays[f"counts_{k}.indptr"]
    # scipy's own check lets a decreasing indptr through, which fails at predict time.
    if (
        indptr[0] != 0
        or (np.diff(indptr) < 0).any()
        or not indptr[-1] == len(data) == len(indices)
        or ((indices < 0) | (indices >= n_classes)).any()
    ):
        raise ValueError(f"{what}: the counts of order {k} are malformed.")
    try:
        counts = sparse.csr_matrix(
            (
                arrays[f"counts_{k}.data"],
                arrays[f"counts_{k}.indices"],
                arrays[f"counts_{k}.indptr"],
            ),
            shape=(n_contexts, n_classes),
        )
        counts.check_format(full_check=True)
    except ValueError as exc:
        raise ValueError(f"{what}: the counts of order {k} are malformed: {exc}") from None
    if (counts.data < 0).any():
        raise ValueError(f"{what}: the counts of order {k} hold negative values.")
    with np.errstate(over="ignore"):
        totals = np.asarray(counts.sum(axis=1)).ravel()
    # Each context was seen in fit with some weight; a row of zeros (with alpha=0) or
    # an infinite total would make its probabilities NaN.
    if not (np.isfinite(totals) & (totals > 0)).all():
        raise ValueError(
            f"{what}: the counts of order {k} hold a context with no count, or an infinite one."
        )
    return counts
