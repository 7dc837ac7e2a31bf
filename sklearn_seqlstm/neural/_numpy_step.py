"""The LSTM step and read-out in float64 numpy, for one history at a time.

A torch call on one event costs about 0.1 ms of fixed overhead (measured:
``nn.LSTM`` took 121 us for one step against 28 us for the numpy step), most of
the budget of a live request. :class:`_StepWeights` keeps a float64 copy of the
network's weights and runs one LSTM step and the copy-from-history read-out of
:class:`LSTMNextEventModule` on it; the results agree with the float32 torch
forward to within 1e-6. A stream, ``predict_proba`` of one history and the ONNX
graph's read-out build on these pieces.
"""

import weakref

import numpy as np
import torch

__all__ = ["one_history_proba", "read_out", "step_weights"]


def read_out(module, hidden, counts, n_copyable):
    """Log-probabilities from the top LSTM output, as ``LSTMNextEventModule.forward``.

    Parameters
    ----------
    module : LSTMNextEventModule
        In eval mode (dropout is the identity).
    hidden : tensor of shape (batch, hidden_size)
    counts : tensor of shape (batch, n_classes)
        How often each class occurs in the history (float, module dtype).
    n_copyable : tensor of int64, shape (batch,)
        Number of events of the history that are classes.

    Returns
    -------
    log_proba : tensor of shape (batch, n_classes)
    """
    logits = module.output(hidden)
    if not module.copies:
        return torch.log_softmax(logits, dim=-1)
    seen = (counts > 0).to(logits.dtype)
    logits = logits + module.repeat_shift(hidden) * seen
    log_proba = torch.log_softmax(logits, dim=-1)
    gate = torch.sigmoid(module.gate(hidden)).squeeze(-1) * (n_copyable > 0)
    gate, n_copyable = gate.unsqueeze(-1), n_copyable.unsqueeze(-1)
    proba = gate * counts / n_copyable.clamp_min(1) + (1 - gate) * log_proba.exp()
    return torch.log(proba.clamp_min(torch.finfo(proba.dtype).tiny))


def one_history_proba(estimator, tokens):
    """``predict_proba`` of one plain history, its token ids a list (marker first).

    Torch runs the LSTM over the history, the one part with work enough for its
    kernels; the read-out of the last position then runs in float64 numpy, as a
    stream's does: its dozen small operations cost about 8 us each in torch and 1 us
    in numpy, which made the read-out as slow as the LSTM on one history. The
    result matches the batched path within about 1e-7 (a float64 read-out against
    a float32 one), which the tests check.

    On the CPU the embedding is a numpy lookup handed to torch without a copy, and
    the LSTM is called with a zero state made once: each saves a torch call's fixed
    overhead, a tenth of the budget of one request.
    """
    module = estimator.net_.module_
    weights = step_weights(estimator)
    tokens = np.asarray(tokens)
    if weights.cpu_embedding is not None:
        inputs = torch.from_numpy(weights.cpu_embedding[tokens][None])
        _, (hidden, _) = module.lstm(inputs, weights.zero_state)
    else:
        device = module.output.weight.device  # module.parameters() walks the module tree
        _, (hidden, _) = module.lstm(module.embedding(torch.tensor(tokens[None], device=device)))
    hidden = hidden[-1, 0].cpu().numpy().astype(np.float64)  # the top layer's last state
    classes = weights.token_class[tokens]
    classes = classes[classes >= 0]
    counts = np.bincount(classes, minlength=weights.n_classes).astype(np.float64)
    return weights.proba(hidden, counts, len(classes))[None, :]


class _StepWeights:
    """The network's weights as float64 numpy arrays, for one step at a time."""

    def __init__(self, estimator, module):
        def array(tensor):
            return tensor.detach().cpu().numpy().astype(np.float64)

        self.embedding = array(module.embedding.weight)
        # One table per categorical step attribute, in the order of the codes' columns.
        self.attribute_embeddings = [array(e.weight) for e in module.attribute_embeddings]
        lstm = module.lstm
        self.layers = [
            (
                array(getattr(lstm, f"weight_ih_l{k}")),
                array(getattr(lstm, f"weight_hh_l{k}")),
                array(getattr(lstm, f"bias_ih_l{k}")) + array(getattr(lstm, f"bias_hh_l{k}")),
            )
            for k in range(lstm.num_layers)
        ]
        self.hidden_size = lstm.hidden_size
        self.input_size = lstm.input_size
        # For one_history_proba on the CPU: the float32 embedding table and the LSTM's
        # zero initial state, (h0, c0) of shape (num_layers, 1, hidden_size).
        on_cpu = module.embedding.weight.device.type == "cpu"
        self.cpu_embedding = module.embedding.weight.detach().numpy().copy() if on_cpu else None
        zeros = torch.zeros(lstm.num_layers, 1, lstm.hidden_size)
        self.zero_state = (zeros, zeros)
        self.output = (array(module.output.weight), array(module.output.bias))
        self.copies = module.copies
        if self.copies:
            self.gate = (array(module.gate.weight)[0], float(array(module.gate.bias)[0]))
            self.shift = (
                array(module.repeat_shift.weight)[0],
                float(array(module.repeat_shift.bias)[0]),
            )
        # The class of each token (-1: none), also without the copy, for
        # recommend(exclude_seen=True).
        class_index = {label: i for i, label in enumerate(estimator.classes_.tolist())}
        self.token_class = np.full(len(self.embedding), -1, dtype=np.int64)
        for event, token in estimator._event_ids.items():
            self.token_class[token] = class_index.get(event, -1)
        self.n_classes = len(class_index)
        if self.copies:
            self.read_out_weight = np.vstack([self.output[0], self.shift[0], self.gate[0]])
            self.read_out_bias = np.concatenate([self.output[1], [self.shift[1], self.gate[1]]])

    def input(self, token, cats=None, nums=None):
        """The LSTM input of one step, as ``LSTMNextEventModule.embed``.

        ``cats`` (int codes) and ``nums`` (float32 features) are a row of the
        step table of a model fitted with times or attributes; None for a plain
        model, whose input is the event's embedding.
        """
        x = self.embedding[token]
        if cats is None:
            return x
        parts = [x]
        parts += [
            table[code]
            for table, code in zip(self.attribute_embeddings, cats.tolist(), strict=True)
        ]
        parts.append(nums.astype(np.float64))
        return np.concatenate(parts)

    def step(self, x, h, c):
        """The LSTM state after input ``x`` from state (h, c), each (num_layers, hidden)."""
        n = self.hidden_size
        h, c = h.copy(), c.copy()
        for k, (w_ih, w_hh, bias) in enumerate(self.layers):
            gates = w_ih @ x + w_hh @ h[k] + bias
            i, f, o = _sigmoid(gates[:n]), _sigmoid(gates[n : 2 * n]), _sigmoid(gates[3 * n :])
            c[k] = f * c[k] + i * np.tanh(gates[2 * n : 3 * n])
            h[k] = x = o * np.tanh(c[k])
        return h, c

    def proba(self, hidden, counts, n_copyable):
        """The read-out of ``LSTMNextEventModule.forward``, then the classifier's softmax."""
        if not self.copies:
            weight, bias = self.output
            logits = weight @ hidden + bias
        else:
            # One product gives the logits, the repeat shift and the gate's input.
            z = self.read_out_weight @ hidden + self.read_out_bias
            logits = z[: self.n_classes] + z[self.n_classes] * (counts > 0)
        proba = np.exp(logits - logits.max())
        proba /= proba.sum()
        if self.copies and n_copyable > 0:
            gate = _sigmoid(z[self.n_classes + 1])
            proba = gate * counts / n_copyable + (1 - gate) * proba
        # As the module: log(max(p, tiny)) and a softmax over it.
        proba = np.maximum(proba, _TINY)
        return proba / proba.sum()


_TINY = float(np.finfo(np.float32).tiny)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


# One copy of the weights per module; a module trained further (its tensors'
# version counters move) gets a fresh copy.
_WEIGHTS = weakref.WeakKeyDictionary()


def step_weights(estimator):
    module = estimator.net_.module_
    cached = _WEIGHTS.get(module)
    # The parameter list is kept with the copy: module.parameters() walks the module
    # tree each time, which cost more than the read-out on one history.
    if cached is not None and cached[1] == tuple(p._version for p in cached[0]):
        return cached[2]
    parameters = list(module.parameters())
    cached = (parameters, tuple(p._version for p in parameters), _StepWeights(estimator, module))
    _WEIGHTS[module] = cached
    return cached[2]
