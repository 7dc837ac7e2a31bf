"""Export the trained network to ONNX, for serving without this package or torch.

The graph takes a batch of token ids and returns the next-event probabilities:

- input ``tokens``: int64, shape (batch, length), each row a history encoded as
  ``[marker, token of event 1, ..., token of event n]`` and right-padded with
  ``PAD`` (0) to the longest row. The marker is ``START`` (2) for a whole
  history, or ``TRUNCATED`` (3) followed by the last ``max_history`` events
  when the model has ``max_history`` and the history is longer. An event's
  token is ``4 + i`` for the i-th event of the vocabulary; an event not in it
  is ``UNKNOWN`` (1).
- input ``lengths``: int64, shape (batch,), the number of tokens of each row,
  marker included (so at least 1).
- output ``proba``: float32, shape (batch, n_classes), columns in the order of
  the classes.
- with ``top_k=k``, outputs ``top_k`` (int64, (batch, k): column indices into the
  classes, most probable first, ties to the smaller index as in ``recommend``) and
  ``top_k_proba`` (float32, (batch, k)) too; with ``exclude_seen``, the classes that
  occur among a row's tokens are never chosen, and places left over hold -1 and NaN.

The vocabulary, the classes and the reserved tokens are written beside the
graph as JSON (``model.onnx`` -> ``model.onnx.json``), with each value's type.
JSON has no infinity: an infinite float event is written as ``"inf"`` or
``"-inf"``. A model fitted on numeric steps (a 3-D array) has one event,
``["sklearn_seqlstm.NO_EVENT", null]``, the token of every step; its features
are the ``nums`` input below.

A model fitted with times or attributes (:class:`AttributedHistories`) reads a
step table row at each step (see :mod:`._steps`); its graph takes, beside
``tokens`` and ``lengths``, the rows' categorical codes ``cats`` (int64,
(batch, length, n_categorical)) and numeric features ``nums`` (float32,
(batch, length, n_numeric)), each present when the model has such columns.
``encode_for_onnx`` builds them; the JSON names the columns and holds the
encoders (categories, scalers, time statistics).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..neural._module import PAD, START, TRUNCATED, UNKNOWN
from ..neural._numpy_step import read_out
from ._codec import check_target, encode_array, encode_values, write_atomically

__all__ = ["OnnxExportMixin", "export_onnx"]

_OPSET = 17


class _ServingModule(nn.Module):
    """The network's forward in the (tokens, lengths) -> proba form of the export.

    Counts the classes of the history with a comparison against every class,
    ops that every ONNX runtime has, and applies the same read-out as the
    stream (:func:`read_out`).
    """

    def __init__(self, module, n_classes, has_cats=False, has_nums=False):
        super().__init__()
        self.module = module
        self.n_classes = n_classes
        self.has_cats, self.has_nums = has_cats, has_nums

    def forward(self, tokens, lengths, *steps):
        module = self.module
        if self.has_cats or self.has_nums:  # the step table's columns, cats first
            cats = steps[0] if self.has_cats else None
            nums = steps[-1] if self.has_nums else None
            inputs = module.embed(tokens, cats, nums)
        else:
            inputs = module.embedding(tokens)
        hidden, _ = module.lstm(inputs)
        last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden.size(-1))
        hidden = torch.gather(hidden, 1, last).squeeze(1)
        if module.copies:
            steps = torch.arange(tokens.size(1)).unsqueeze(0)
            inside = (steps < lengths.unsqueeze(1)).unsqueeze(-1)
            classes = module.token_class[tokens]  # -1 for tokens that are no class
            one_hot = classes.unsqueeze(-1) == torch.arange(self.n_classes).view(1, 1, -1)
            counts = (one_hot & inside).to(hidden.dtype).sum(dim=1)
            n_copyable = counts.sum(dim=-1).to(torch.int64)
        else:
            counts = torch.zeros(tokens.size(0), self.n_classes, dtype=hidden.dtype)
            n_copyable = torch.zeros(tokens.size(0), dtype=torch.int64)
        return torch.softmax(read_out(module, hidden, counts, n_copyable), dim=-1)


class _TopKModule(nn.Module):
    """The serving graph followed by ``recommend``'s ranking: ONNX TopK on the proba.

    TopK ranks ties by the smaller index (ONNX's rule since opset 11), as
    :func:`top_k_indices` does. With ``token_class`` (the class index of each token,
    -1 for none), the classes among a row's tokens are masked with -inf first; a
    place that only a masked class could fill gets index -1 and probability NaN.
    """

    def __init__(self, serving, k, token_class=None):
        super().__init__()
        self.serving = serving
        self.k = k
        self.exclude_seen = token_class is not None
        if self.exclude_seen:
            self.register_buffer("token_class", torch.as_tensor(token_class, dtype=torch.int64))

    def forward(self, tokens, lengths, *steps):
        proba = self.serving(tokens, lengths, *steps)
        scores = proba
        if self.exclude_seen:
            n_classes = proba.size(-1)
            positions = torch.arange(tokens.size(1)).unsqueeze(0)
            inside = (positions < lengths.unsqueeze(1)).unsqueeze(-1)
            classes = self.token_class[tokens].unsqueeze(-1)
            seen = ((classes == torch.arange(n_classes).view(1, 1, -1)) & inside).any(dim=1)
            scores = proba.masked_fill(seen, float("-inf"))
        values, indices = torch.topk(scores, self.k, dim=-1)
        missing = torch.isinf(values)
        kept = torch.gather(proba, 1, indices)
        indices = torch.where(missing, torch.full_like(indices, -1), indices)
        kept = torch.where(missing, torch.full_like(kept, float("nan")), kept)
        return proba, indices, kept


def _top_k_module(estimator, serving, top_k, exclude_seen):
    """``serving`` with TopK (see :class:`_TopKModule`), or as it is for ``top_k=None``."""
    if top_k is None:
        return serving
    import numpy as np

    from ..neural._module import N_RESERVED

    if not exclude_seen:
        return _TopKModule(serving, top_k).eval()
    class_index = {label: i for i, label in enumerate(estimator.classes_.tolist())}
    token_class = np.full(N_RESERVED + len(estimator.events_), -1, dtype=np.int64)
    for event, token in estimator._event_ids.items():
        token_class[token] = class_index.get(event, -1)
    return _TopKModule(serving, top_k, token_class).eval()


def _check_top_k(estimator, top_k, exclude_seen):
    """Validate ``to_onnx``'s ``top_k`` and ``exclude_seen`` before any file is written."""
    import numpy as np

    from ..metrics._recommend import check_k

    if not isinstance(exclude_seen, (bool, np.bool_)):
        raise TypeError(f"exclude_seen must be True or False, got {exclude_seen!r}.")
    exclude_seen = bool(exclude_seen)
    if top_k is None:
        if exclude_seen:
            raise ValueError("exclude_seen=True ranks the top_k events: give top_k too.")
        return None
    top_k = check_k(top_k, len(estimator.classes_))
    if exclude_seen and estimator.max_history is not None:
        # The graph sees a history's last max_history events only; recommend
        # excludes every event of the whole history. They would disagree.
        raise ValueError(
            "exclude_seen=True in the ONNX graph needs a model without max_history: "
            f"with max_history={estimator.max_history}, the graph receives the last "
            "max_history events of a history and cannot exclude the earlier ones. "
            "Export with exclude_seen=False and mask the seen events in the server."
        )
    return top_k


def export_onnx(estimator, path, *, overwrite=False, top_k=None, exclude_seen=False):
    """Write ``estimator``'s network to ``path`` and its vocabulary to ``path`` + ``.json``."""
    path = check_target(path, overwrite)
    vocabulary_path = check_target(path.with_name(path.name + ".json"), overwrite)
    module = estimator.net_.module_
    device = next(module.parameters()).device
    if device.type != "cpu":
        raise ValueError(
            "to_onnx exports a model on the CPU; load it with sklearn_seqlstm.load(path, "
            "device='cpu') first."
        )
    module.eval()
    steps = estimator._steps
    n_cat = 0 if steps is None else len(steps.cat_cardinalities)
    n_num = 0 if steps is None else steps.n_numeric
    serving = _ServingModule(module, len(estimator.classes_), n_cat > 0, n_num > 0).eval()
    serving = _top_k_module(estimator, serving, top_k, exclude_seen)
    outputs = ["proba"] if top_k is None else ["proba", "top_k", "top_k_proba"]
    example = (torch.tensor([[START, PAD], [START, UNKNOWN]]), torch.tensor([1, 2]))
    names = ["tokens", "lengths"]
    if n_cat:
        example += (torch.zeros((2, 2, n_cat), dtype=torch.int64),)
        names.append("cats")
    if n_num:
        example += (torch.zeros((2, 2, n_num), dtype=torch.float32),)
        names.append("nums")
    axes = {name: {0: "batch", 1: "length"} for name in names if name != "lengths"}

    def write_graph(temporary):
        with warnings.catch_warnings():
            # torch 2.9+ points to its newer exporter, which needs onnxscript; the
            # TorchScript-based one needs nothing more and handles this LSTM.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            # The LSTM's own input-size checks, constant for a trained network.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(
                serving,
                example,
                str(temporary),
                input_names=names,
                output_names=outputs,
                dynamic_axes={
                    **axes,
                    "lengths": {0: "batch"},
                    **{o: {0: "batch"} for o in outputs},
                },
                opset_version=_OPSET,
                dynamo=False,
            )

    vocabulary = {
        "reserved_tokens": {"PAD": PAD, "UNKNOWN": UNKNOWN, "START": START, "TRUNCATED": TRUNCATED},
        "first_event_token": len({PAD, UNKNOWN, START, TRUNCATED}),
        "events": encode_values(estimator.events_, "event"),
        "classes": encode_array(estimator.classes_, "class label"),
        "max_history": estimator.max_history,
        "inputs": {
            "tokens": "int64 (batch, length): [START or TRUNCATED, event tokens...], "
            "right-padded with PAD",
            "lengths": "int64 (batch,): tokens per row, marker included",
        },
        "output": "proba: float32 (batch, n_classes), columns in the order of 'classes'",
    }
    if top_k is not None:
        vocabulary["top_k"] = {
            "k": top_k,
            "exclude_seen": exclude_seen,
            "outputs": {
                "top_k": "int64 (batch, k): indices into 'classes', most probable first, "
                "ties to the smaller index; -1 where every class left was excluded",
                "top_k_proba": "float32 (batch, k): their probabilities; NaN where -1",
            },
        }
    if steps is not None:
        vocabulary["inputs"].update(_step_inputs(steps, n_cat, n_num))
        vocabulary["step_encoding"] = _step_encoding(steps)
    write_atomically(path, write_graph)
    text = json.dumps(vocabulary, indent=1)
    write_atomically(vocabulary_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Path(path)


def _step_inputs(steps, n_cat, n_num):
    """The contract of the ``cats`` and ``nums`` inputs of an attributed model."""
    inputs = {}
    if n_cat:
        inputs["cats"] = (
            "int64 (batch, length, n_categorical): the code of each categorical attribute "
            "at each step, aligned with 'tokens', columns as in step_encoding.cats_columns; "
            "0 on the marker steps (for event attributes) and the padding"
        )
    if n_num:
        inputs["nums"] = (
            "float32 (batch, length, n_numeric): the numeric features of each step, "
            "aligned with 'tokens', columns as in step_encoding.nums_columns; 0 on the "
            "marker steps (but for the context) and the padding"
        )
    return inputs


def _piece_columns(value, edges, edges_name):
    """The names of a value's piecewise-linear columns (see neural._steps.piecewise_linear)."""
    return [
        f"{value} through piece {k} of {edges_name}: (value - {edges_name}[{k}]) / "
        f"({edges_name}[{k + 1}] - {edges_name}[{k}]), clipped to [0, 1]"
        for k in range(len(edges) - 1)
    ] or [f"{value}: 0 ({edges_name} holds one value)"]


def _step_encoding(steps):
    """The encoders of an attributed model, for a server that encodes steps itself."""
    from ._serializers import _dump_steps

    cats_columns, nums_columns = [], []
    for name, encoding in steps.encodings.items():
        if encoding["kind"] == "categorical":
            cats_columns.append(name)
        else:
            nums_columns += [f"{name} (standardised, 0 when missing)", f"{name} missing (0 or 1)"]
            if "categories" in encoding:
                cats_columns.append(f"{name} (as a category)")
    if steps.time_kind is not None and steps.time_encoding == "piecewise":
        gaps = ("since the previous event", "since the sequence's first event")
        for j, (gap, edges) in enumerate(zip(gaps, steps.time_edges, strict=True)):
            nums_columns += _piece_columns(f"time: log1p(seconds {gap})", edges, f"time_edges[{j}]")
    elif steps.time_kind is not None:
        nums_columns += [
            "time: log1p(seconds since the previous event), standardised with time_mean[0], "
            "time_std[0]",
            "time: log1p(seconds since the sequence's first event), standardised with "
            "time_mean[1], time_std[1]",
        ]
    if steps.time_kind == "datetime":
        nums_columns += [
            "sin(2 pi hour / 24)",
            "cos(2 pi hour / 24)",
            "sin(2 pi weekday / 7)",
            "cos(2 pi weekday / 7)",
        ]
    return {
        "how": (
            "Use NextEventClassifier.encode_for_onnx(X) to build every input. By hand: a "
            "history is [marker step, event steps...]; a categorical value has code "
            "3 + its index in 'categories', 1 when not among them (rare or unseen in fit), "
            "2 when missing, 0 for no value; a numeric value is (value - mean) / std, 0 "
            "with the missing indicator 1 when missing (a numeric attribute that also has "
            "'categories' has a categorical column too, coded as above); event attributes "
            "and time features "
            "are 0 on the marker step; sequence attributes enter every step (sequence_context "
            "'every_step') or the marker step only ('first_step'); hour and weekday are "
            "in UTC, weekday 0 on Mondays (1970-01-01, a Thursday, is 3). With max_history "
            "and a longer history, the marker is TRUNCATED and the last max_history event "
            "steps follow, their gaps those of the whole history. 'encodings' are in the "
            "order of event_attributes, then sequence_attributes."
        ),
        "cats_columns": cats_columns,
        "nums_columns": nums_columns,
        **_dump_steps(steps),
    }


class OnnxExportMixin:
    """``to_onnx(path)`` for :class:`NextEventClassifier`."""

    def to_onnx(self, path, *, overwrite=False, top_k=None, exclude_seen=False, network_only=False):
        """:meth:`NextEventClassifier.to_onnx`, which documents it."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if not isinstance(network_only, (bool, np.bool_)):
            raise TypeError(f"network_only must be True or False, got {network_only!r}.")
        weight = getattr(self, "history_counts_weight_", None)
        if weight is not None and np.isfinite(weight) and not network_only:
            raise ValueError(
                "The ONNX graph computes the network's probabilities; this model also "
                "blends in the next events seen after each training history "
                f"(history_counts_weight_={weight:g}), which the graph cannot, so after a "
                "history seen in fit the two would differ. Export the network alone with "
                "network_only=True, or fit with history_counts=None."
            )
        try:
            import onnx  # noqa: F401  (torch's exporter needs it)
        except ImportError:
            raise ImportError(
                'to_onnx needs the onnx package: pip install -e ".[onnx]" in a clone of the package'
            ) from None
        top_k = _check_top_k(self, top_k, exclude_seen)
        return export_onnx(
            self, path, overwrite=overwrite, top_k=top_k, exclude_seen=bool(exclude_seen)
        )

    def encode_for_onnx(self, X):
        """:meth:`NextEventClassifier.encode_for_onnx`, which documents it."""
        import numpy as np

        from ..histories._histories import check_histories

        histories = check_histories(X, estimator=self, reset=False)
        if self._steps is not None:
            return self._encode_steps_for_onnx(histories)
        encoded = self._encode(histories)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        tokens = np.full((len(encoded), int(lengths.max())), PAD, dtype=np.int64)
        for row, history in enumerate(encoded):
            tokens[row, : len(history)] = history
        return {"tokens": tokens, "lengths": lengths}

    def _encode_steps_for_onnx(self, histories):
        """The graph inputs of attributed histories: rows of their step table, padded."""
        import numpy as np

        self._check_same_input(histories)
        table, _ = self._steps.transform(histories, self._event_ids)
        limit = self.max_history
        rows = [
            np.array(table.window(s, n, n if limit is None else limit), dtype=np.int64)
            for s, n in zip(
                histories.sequence_index.tolist(), histories.lengths.tolist(), strict=True
            )
        ]
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        width = int(lengths.max())
        tokens = np.full((len(rows), width), PAD, dtype=np.int64)
        cats = np.zeros((len(rows), width, table.cats.shape[1]), dtype=np.int64)
        nums = np.zeros((len(rows), width, table.nums.shape[1]), dtype=np.float32)
        for i, steps in enumerate(rows):
            tokens[i, : len(steps)] = table.tokens[steps]
            cats[i, : len(steps)] = table.cats[steps]
            nums[i, : len(steps)] = table.nums[steps]
        inputs = {"tokens": tokens, "lengths": lengths}
        if cats.shape[-1]:
            inputs["cats"] = cats
        if nums.shape[-1]:
            inputs["nums"] = nums
        return inputs
