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

The vocabulary, the classes and the reserved tokens are written beside the
graph as JSON (``model.onnx`` -> ``model.onnx.json``), with each value's type.
"""

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ._module import PAD, START, TRUNCATED, UNKNOWN
from ._persistence import check_target, encode_array, encode_values, write_atomically
from ._stream import read_out

__all__ = ["OnnxExportMixin", "export_onnx"]

_OPSET = 17


class _ServingModule(nn.Module):
    """The network's forward in the (tokens, lengths) -> proba form of the export.

    Counts the classes of the history with a comparison against every class,
    ops that every ONNX runtime has, and applies the same read-out as the
    stream (:func:`read_out`).
    """

    def __init__(self, module, n_classes):
        super().__init__()
        self.module = module
        self.n_classes = n_classes

    def forward(self, tokens, lengths):
        module = self.module
        hidden, _ = module.lstm(module.embedding(tokens))
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


def export_onnx(estimator, path, *, overwrite=False):
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
    serving = _ServingModule(module, len(estimator.classes_)).eval()
    example = (torch.tensor([[START, PAD], [START, UNKNOWN]]), torch.tensor([1, 2]))

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
                input_names=["tokens", "lengths"],
                output_names=["proba"],
                dynamic_axes={
                    "tokens": {0: "batch", 1: "length"},
                    "lengths": {0: "batch"},
                    "proba": {0: "batch"},
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
    write_atomically(path, write_graph)
    text = json.dumps(vocabulary, indent=1)
    write_atomically(vocabulary_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Path(path)


class OnnxExportMixin:
    """``to_onnx(path)`` for :class:`NextEventClassifier`."""

    def to_onnx(self, path, *, overwrite=False):
        """Export the trained network to ONNX, the copy-from-history read-out included.

        The graph maps token ids to probabilities; the vocabulary that turns
        events into token ids is written beside it as ``<path>.json``. See the
        user guide ("Using a trained model") for the input contract. Needs the
        ``onnx`` package: ``pip install "sklearn-seqlstm[onnx]"``.

        Parameters
        ----------
        path : str or pathlib.Path
            The ``.onnx`` file to write.
        overwrite : bool, default=False
            Replace existing files; otherwise an existing file is an error.

        Returns
        -------
        path : pathlib.Path
            The graph's path.
        """
        from sklearn.utils.validation import check_is_fitted

        from ._base import check_plain_model

        check_is_fitted(self)
        # The graph's inputs are token ids only: no times or attributes.
        check_plain_model(self, "to_onnx()")
        try:
            import onnx  # noqa: F401  (torch's exporter needs it)
        except ImportError:
            raise ImportError(
                'to_onnx needs the onnx package: pip install "sklearn-seqlstm[onnx]"'
            ) from None
        return export_onnx(self, path, overwrite=overwrite)

    def encode_for_onnx(self, X):
        """The ``tokens`` and ``lengths`` inputs of the exported graph for histories ``X``.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like

        Returns
        -------
        tokens : ndarray of int64, shape (n_samples, max_length)
        lengths : ndarray of int64, shape (n_samples,)
        """
        import numpy as np

        from ._histories import check_histories

        encoded = self._encode(check_histories(X, estimator=self, reset=False))
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        tokens = np.full((len(encoded), int(lengths.max())), PAD, dtype=np.int64)
        for row, history in enumerate(encoded):
            tokens[row, : len(history)] = history
        return tokens, lengths
