"""The torch parts of the LSTM estimators: one encoder, two read-outs, their losses.

:class:`LSTMHistoryEncoder` embeds each step (event, attributes, times) and runs
the LSTM; it reads the hidden state off at the requested positions of each
chain. The read-outs differ: :class:`LSTMNextEventModule` gives a distribution
over classes (with the copy from the history), :class:`LSTMNextValueModule` one
number. Their parameters keep the same names, so that saved weights of either
are named alike.
"""

import math

import torch
from torch import nn

from ._sampled import sampled_target_log_proba

__all__ = [
    "LSTMHistoryEncoder",
    "LSTMNextEventModule",
    "LSTMNextValueModule",
    "WeightedEntryLoss",
    "WeightedRegressionLoss",
    "PAD",
    "UNKNOWN",
    "START",
    "TRUNCATED",
]

# Reserved token ids; events are numbered from N_RESERVED on.
PAD = 0  # right padding of shorter chains in a batch
UNKNOWN = 1  # an event never seen in fit
START = 2  # marks the start of a full history, so the empty history has an input
TRUNCATED = 3  # marks a history cut to its last `max_history` events
N_RESERVED = 4
# Codes of a rare categorical value (seen in fit fewer than min_frequency times, or
# never) and of a missing one; the step encoder (._steps) numbers the values after.
RARE_CATEGORY, MISSING_CATEGORY = 1, 2


class LSTMHistoryEncoder(nn.Module):
    """Embedding of each step, the LSTM, and its hidden state at requested positions.

    Parameters
    ----------
    n_tokens : int
        Size of the token vocabulary, reserved tokens included.
    embedding_dim, hidden_size, num_layers, dropout
        As in :class:`~sklearn_seqlstm.NextEventClassifier`.
    cat_cardinalities : sequence of int, default=()
        Number of codes of each categorical step attribute (see :mod:`._steps`);
        each gets an embedding, concatenated to the event's.
    n_numeric : int, default=0
        Number of numeric step features, concatenated to the embeddings.

    Without attributes the encoder is exactly the plain one: no parameter is
    added, so a plain model's weights and results do not change.
    """

    def __init__(
        self,
        n_tokens,
        embedding_dim,
        hidden_size,
        num_layers,
        dropout,
        cat_cardinalities=(),
        n_numeric=0,
    ):
        super().__init__()
        self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=PAD)
        with torch.no_grad():
            # The unknown-event embedding never receives a gradient; zero is the
            # least opinionated input for an event the model has not seen.
            self.embedding.weight[UNKNOWN].zero_()
        # One embedding per categorical attribute, sized by the fastai rule of thumb
        # (1.6 * n ** 0.56) and capped at the event embedding's size.
        self.attribute_embeddings = nn.ModuleList(
            nn.Embedding(n, min(embedding_dim, max(2, round(1.6 * n**0.56))), padding_idx=0)
            for n in cat_cardinalities
        )
        with torch.no_grad():
            # The vectors of rare and missing values start at zero, as the unknown
            # event's: they stay there, the least opinionated input, when fit has no
            # rare or no missing value to learn them from.
            for embedding in self.attribute_embeddings:
                embedding.weight[[RARE_CATEGORY, MISSING_CATEGORY]] = 0.0
        input_size = embedding_dim + n_numeric
        input_size += sum(e.embedding_dim for e in self.attribute_embeddings)
        self.lstm = nn.LSTM(
            input_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)

    def embed(self, tokens, cats=None, nums=None):
        """The LSTM input of each step: (batch, length, input_size)."""
        inputs = self.embedding(tokens)
        if not self.attribute_embeddings and nums is None:
            return inputs
        parts = [inputs]
        parts += [embed(cats[..., i]) for i, embed in enumerate(self.attribute_embeddings)]
        if nums is not None and nums.size(-1):
            parts.append(nums)
        return torch.cat(parts, dim=-1)

    def hidden_at(self, tokens, positions, cats=None, nums=None):
        """The LSTM's hidden state after each requested position: (batch, n_positions, hidden).

        ``tokens`` (batch, length) are right-padded chains; ``positions`` (batch,
        n_positions) index the outputs to read, the output at ``t`` having seen
        tokens ``0..t``. Right padding cannot change earlier outputs: the LSTM is
        causal. ``cats`` (batch, length, n_categorical) and ``nums`` (batch,
        length, n_numeric) are the step attributes of attributed histories, None
        for plain ones. Dropout applies in training mode.
        """
        hidden, _ = self.lstm(self.embed(tokens, cats, nums))
        index = positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        return self.dropout(torch.gather(hidden, 1, index))

    def entry_hidden(self, tokens, positions, rows, columns, cats=None, nums=None):
        """The hidden state at the entries ``positions[rows, columns]``: (n_entries, hidden).

        A flat read-out of some cells of the padded ``positions`` (see
        :func:`valid_cells`); otherwise as :meth:`hidden_at`. In training mode,
        dropout draws a mask for the entries only, not for the padding around
        them: a chain that serves many histories can hold several times as many
        entries as the others of its batch, and drawing masks for the whole
        padded grid took about 6% of ``fit``'s time on such data.
        """
        hidden, _ = self.lstm(self.embed(tokens, cats, nums))
        # Flat indices: index_select is cheaper than indexing by two tensors.
        steps = rows * hidden.size(1) + _take_cells(positions, rows, columns)
        hidden = hidden.reshape(-1, hidden.size(-1)).index_select(0, steps)
        p = self.dropout.p
        if not self.training or p == 0:
            return hidden
        # Bernoulli(1 - p) as uniform draws below 1 - p: uniform draws are three
        # times as fast as bernoulli_ on the CPU. The draws are float32 whatever
        # the hidden state's dtype: bfloat16 draws would round the rate.
        keep = torch.rand(hidden.shape, device=hidden.device) < 1 - p
        return hidden * keep.to(hidden.dtype).div_(1 - p)


class LSTMNextValueModule(LSTMHistoryEncoder):
    """The encoder with a linear read-out of one number per position.

    The number is in the units the estimator trains in (standardised targets);
    ``forward`` returns shape (batch, n_positions), or one flat list of the valid
    entries with ``n_entries``, as training reads out. The read-out starts at zero,
    so the first prediction is the training mean, as gradient boosting starts
    from its baseline; gradients reach the LSTM from the first step that moves it.
    """

    def __init__(self, n_tokens, embedding_dim, hidden_size, num_layers, dropout, **inputs):
        super().__init__(n_tokens, embedding_dim, hidden_size, num_layers, dropout, **inputs)
        self.output = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def forward(self, tokens, positions, cats=None, nums=None, n_entries=None):
        """One number per position read: (batch, n_positions), or flat with ``n_entries``."""
        if n_entries is None:
            return self.output(self.hidden_at(tokens, positions, cats, nums)).squeeze(-1)
        cells = valid_cells(positions, n_entries)
        return self.output(self.entry_hidden(tokens, positions, *cells, cats, nums)).squeeze(-1)


class LSTMNextEventModule(LSTMHistoryEncoder):
    """The encoder with a read-out of a distribution over the classes.

    The read-out is a softmax over the classes. With ``token_class`` given, it
    knows which classes the history holds (a copy or repeat mechanism, as in
    RepeatNet):

    - a shift ``s(h)`` learned from the hidden state is added to the logits of
      every class already in the history, so the model can learn that people
      return to what they did before (``s > 0``) or never do (``s << 0``, as
      with films already rated);
    - the result is mixed with the frequency of each class in the history
      through a gate ``g(h)``: ``p = g * p_history + (1 - g) * p_lstm``. A
      softmax over a linear read-out can only approximate such a mixture, and
      learns it from far more data.

    Parameters
    ----------
    n_tokens, embedding_dim, hidden_size, num_layers, dropout, cat_cardinalities, n_numeric
        As in :class:`LSTMHistoryEncoder`.
    n_classes : int
        Number of output classes.
    token_class : array-like of int, shape (n_tokens,), default=None
        The class index of each token, -1 for tokens that are no class. None
        turns the copy from the history off.
    n_negatives : int, default=None
        Train with a sampled softmax over this many negatives a batch, drawn
        from ``class_log_q`` with the logQ correction (see :mod:`._sampled`);
        None trains with the full softmax. Predictions always use the full one.
    class_log_q : array-like of float, shape (n_classes,), default=None
        log of the proposal from which negatives are drawn; None is uniform.
        Not part of the saved weights: only training draws from it.
    """

    def __init__(
        self,
        n_tokens,
        n_classes,
        embedding_dim,
        hidden_size,
        num_layers,
        dropout,
        token_class=None,
        cat_cardinalities=(),
        n_numeric=0,
        n_negatives=None,
        class_log_q=None,
    ):
        super().__init__(
            n_tokens, embedding_dim, hidden_size, num_layers, dropout, cat_cardinalities, n_numeric
        )
        self.output = nn.Linear(hidden_size, n_classes)
        self.n_negatives = n_negatives
        if class_log_q is None:
            class_log_q = torch.full((n_classes,), -math.log(n_classes))
        # A plain attribute, not a buffer: the saved weights stay those of the full softmax.
        self.class_log_q = torch.as_tensor(class_log_q, dtype=torch.float32)
        self.copies = token_class is not None
        if self.copies:
            self.register_buffer("token_class", torch.as_tensor(token_class, dtype=torch.int64))
            self.gate = nn.Linear(hidden_size, 1)
            self.repeat_shift = nn.Linear(hidden_size, 1)
            # Start as a plain softmax: no shift for classes already in the history.
            nn.init.zeros_(self.repeat_shift.weight)
            nn.init.zeros_(self.repeat_shift.bias)

    def forward(self, tokens, positions, targets=None, cats=None, nums=None, n_entries=None):
        """Log-probabilities read off the chains at the requested positions.

        ``tokens`` (batch, length) are right-padded chains; ``positions`` (batch,
        n_positions) index the outputs to read, the output at ``t`` having seen
        tokens ``0..t``. Right padding cannot change earlier outputs: the LSTM and
        the running counts are causal.

        Without ``targets``, the log-probability of every class: shape (batch,
        n_positions, n_classes). With ``targets`` (batch, n_positions), the
        log-probability of each target only, which is all that training needs:
        the mixture is then never formed over every class. ``cats`` (batch,
        length, n_categorical) and ``nums`` (batch, length, n_numeric) are the
        step attributes of attributed histories, None for plain ones.

        With ``n_entries`` (batch,) and ``targets``, as training gets them,
        only the first ``n_entries[b]`` positions of chain ``b`` are read, the
        rest being padding: the result is the log-probability of each target of
        one flat list of those entries, chain by chain, of shape
        (n_entries.sum(),), and no work is spent on padding.
        """
        if n_entries is not None:
            if targets is None:
                raise ValueError("The flat read-out (n_entries) needs the targets.")
            rows, columns = valid_cells(positions, n_entries)
            hidden = self.entry_hidden(tokens, positions, rows, columns, cats, nums)
            flat_targets = _take_cells(targets, rows, columns)
            flat_positions = _take_cells(positions, rows, columns)
            return self._read_out(hidden, tokens, rows, flat_positions, flat_targets)
        hidden = self.hidden_at(tokens, positions, cats, nums)
        if targets is not None:  # the padded grid is the flat read-out of every cell
            rows, flat_positions = _grid(positions)
            flat_hidden = hidden.reshape(-1, hidden.size(-1))
            out = self._read_out(flat_hidden, tokens, rows, flat_positions, targets.reshape(-1))
            return out.reshape(positions.shape)
        logits = self.output(hidden)
        if not self.copies:
            return torch.log_softmax(logits, dim=-1)
        classes = self.token_class[tokens] + 1  # 0 for tokens that are no class
        logits = logits + self.repeat_shift(hidden) * self._seen(classes, positions)
        n_copyable = (classes > 0).cumsum(dim=1).gather(1, positions)
        # No event of the history is a class: nothing to copy, the gate stays shut.
        gate = torch.sigmoid(self.gate(hidden)) * (n_copyable > 0).unsqueeze(-1)
        counts = self._counts(classes, positions)
        return _mix(gate, counts, n_copyable.unsqueeze(-1), torch.log_softmax(logits, dim=-1))

    def _read_out(self, hidden, tokens, rows, positions, targets):
        """The log-probability of each entry's target: (n_entries,).

        ``hidden`` (n_entries, hidden) is the hidden state at ``positions`` of
        chains ``rows``.
        """
        if self.n_negatives and self.training:
            return self._sampled(hidden, tokens, rows, positions, targets)
        logits = self.output(hidden)
        if not self.copies:
            return _take(torch.log_softmax(logits, dim=-1), targets)

        classes = self.token_class[tokens] + 1
        logits = logits + self.repeat_shift(hidden) * self._entry_seen(classes, rows, positions)
        log_proba = torch.log_softmax(logits, dim=-1)
        n_copyable = _take_cells((classes > 0).cumsum(dim=1), rows, positions)
        gate = torch.sigmoid(self.gate(hidden)).squeeze(-1) * (n_copyable > 0)
        counts = self._entry_target_counts(classes, rows, positions, targets)
        return _mix(gate, counts, n_copyable, _take(log_proba, targets))

    def _sampled(self, hidden, tokens, rows, positions, targets):
        """Log-probability of each target, with the sampled softmax for the LSTM's part."""
        if not self.copies:
            return sampled_target_log_proba(self, hidden, None, rows, positions, targets)
        classes = self.token_class[tokens] + 1
        log_proba = sampled_target_log_proba(self, hidden, classes, rows, positions, targets)
        n_copyable = _take_cells((classes > 0).cumsum(dim=1), rows, positions)
        gate = torch.sigmoid(self.gate(hidden)).squeeze(-1) * (n_copyable > 0)
        counts = self._entry_target_counts(classes, rows, positions, targets)
        return _mix(gate, counts, n_copyable, log_proba)

    def _first_steps(self, classes):
        """The first step of each class in each chain, its length if none: (batch, n_classes)."""
        batch, length = classes.shape
        steps = torch.arange(length, device=classes.device).expand(batch, -1)
        first = torch.full((batch, self.output.out_features + 1), length, device=classes.device)
        return first.scatter_reduce(1, classes, steps, reduce="amin")[:, 1:]

    def _entry_seen(self, classes, rows, positions):
        """Whether each class occurs among tokens ``0..t`` of each entry: (n_entries, n_classes).

        From each class's first step in the chain, so that no tensor of (batch,
        length, n_classes) is built.
        """
        first = self._first_steps(classes).index_select(0, rows)
        return (first <= positions.unsqueeze(-1)).to(self.output.weight.dtype)

    def _entry_target_counts(self, classes, rows, positions, targets):
        """How often each entry's target occurs among tokens ``0..t`` of its chain: (n_entries,).

        Every token of the batch gets one key, ``(row * n_slots + class) * length +
        step``, sorted once: the tokens of class ``c`` up to step ``t`` of a chain
        are then the keys from those of its step 0 to its step ``t``, counted by two
        binary searches. That is O(B L log(B L)) for B chains of L tokens, whatever
        the number of entries; comparing every entry with every token was O(L^2)
        per chain, in training where a chain is read at nearly every position.
        Counts are exact (small integers).
        """
        batch, length = classes.shape
        n_slots = self.output.out_features + 1
        steps = torch.arange(length, device=classes.device)
        chain = torch.arange(batch, device=classes.device).unsqueeze(-1) * n_slots
        keys = torch.sort(((chain + classes) * length + steps).reshape(-1)).values
        first = (rows * n_slots + targets + 1) * length  # the key of the target's class at step 0
        upto = torch.searchsorted(keys, first + positions, right=True)
        return (upto - torch.searchsorted(keys, first)).to(self.output.weight.dtype)

    def _seen(self, classes, positions):
        """Whether each class occurs among tokens ``0..t``: (batch, n_positions, n_classes).

        From each class's first position in the chain, so that no tensor of
        (batch, length, n_classes) is built.
        """
        first = self._first_steps(classes)
        return (first.unsqueeze(1) <= positions.unsqueeze(-1)).to(self.output.weight.dtype)

    def _counts(self, classes, positions):
        """How often each class occurs among tokens ``0..t``: (batch, n_positions, n_classes).

        Only at the requested positions: a running count over the whole chain is a
        tensor of (batch, length, n_classes), 2.5 GB for 512 histories of up to 737
        events over 1,678 classes, of which one position per chain is read when
        recommending. With few positions a chain, the events up to each position
        are added into its row, (batch, n_positions, length) of work; with more
        positions than classes the running count is the smaller tensor. Both count
        exactly (small integers in floating point).
        """
        batch, length = classes.shape
        n_positions, n_slots = positions.size(1), self.output.out_features + 1
        dtype = self.output.weight.dtype
        if n_positions <= n_slots:
            steps = torch.arange(length, device=classes.device)
            upto = (steps <= positions.unsqueeze(-1)).to(dtype)  # (batch, n_positions, length)
            counts = torch.zeros(batch, n_positions, n_slots, dtype=dtype, device=classes.device)
            counts.scatter_add_(-1, classes.unsqueeze(1).expand(-1, n_positions, -1), upto)
            return counts[..., 1:]
        hits = torch.zeros(batch, length, n_slots, dtype=dtype, device=classes.device)
        hits.scatter_(-1, classes.unsqueeze(-1), 1.0)
        running = hits[..., 1:].cumsum(dim=1)
        return torch.gather(running, 1, positions.unsqueeze(-1).expand(-1, -1, running.size(-1)))

    def _target_counts(self, classes, positions, targets):
        """How often each target occurs among tokens ``0..t``: (batch, n_positions)."""
        rows, flat = _grid(positions)
        counts = self._entry_target_counts(classes, rows, flat, targets.reshape(-1))
        return counts.reshape(positions.shape)


def valid_cells(positions, n_entries):
    """The rows and columns of the first ``n_entries[b]`` cells of each row ``b``, row by row."""
    width = torch.arange(positions.size(1), device=positions.device)
    return (width < n_entries.unsqueeze(-1)).nonzero(as_tuple=True)


def _take_cells(matrix, rows, columns):
    """``matrix[rows, columns]`` for a 2-D ``matrix``, by one flat index."""
    return matrix.reshape(-1).index_select(0, rows * matrix.size(1) + columns)


def _grid(positions):
    """The padded (batch, n_positions) positions as flat entries: their rows and positions."""
    batch, width = positions.shape
    rows = torch.arange(batch, device=positions.device).repeat_interleave(width)
    return rows, positions.reshape(-1)


def _mix(gate, counts, n_copyable, log_proba):
    """log of ``gate`` x the history's frequency + (1 - ``gate``) x the LSTM's probability."""
    proba = gate * counts / n_copyable.clamp_min(1) + (1 - gate) * log_proba.exp()
    return torch.log(proba.clamp_min(torch.finfo(proba.dtype).tiny))


def _take(log_proba, targets):
    """The log-probability of each target: ``log_proba`` without its last dimension."""
    return log_proba.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


class WeightedEntryLoss(nn.Module):
    """Weighted mean negative log-likelihood over the entries of a batch of chains.

    Takes the log-probability of each entry's target, as the module returns it
    when given ``targets``, padded or flat. Padding entries have weight 0, so they
    do not count.
    The sum divides by ``y["normaliser"]``, which the chain loader sets to the
    mean weight of a batch of this size (see
    :class:`~sklearn_seqlstm.neural._chains.ChainLoader`), or without it by the
    batch's own weight.
    """

    def forward(self, target_log_proba, y):
        return _weighted_mean(-target_log_proba, y)


class WeightedRegressionLoss(nn.Module):
    """Weighted mean regression loss over the entries of a batch of chains.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber"}
        The loss of one entry: (prediction - target) squared, absolute, or
        Huber's (squared within ``huber_delta`` of the target, linear beyond).
    huber_delta : float, default=1.0
        Where Huber's loss turns from squared to linear, in the units of the
        targets (standardised ones: one standard deviation).

    Padding entries have weight 0, so they do not count.
    """

    def __init__(self, loss="squared_error", huber_delta=1.0):
        super().__init__()
        self.loss = loss
        self.huber_delta = huber_delta

    def forward(self, prediction, y):
        target = y["target"]
        if self.loss == "squared_error":
            per_entry = (prediction - target) ** 2
        elif self.loss == "absolute_error":
            per_entry = (prediction - target).abs()
        else:
            per_entry = nn.functional.huber_loss(
                prediction, target, reduction="none", delta=self.huber_delta
            )
        return _weighted_mean(per_entry, y)


def _weighted_mean(per_entry, y):
    """Sum of weighted entry losses over ``y["normaliser"]`` (or the batch's weight)."""
    weight = y["weight"]
    normaliser = y.get("normaliser")
    if normaliser is None:
        normaliser = weight.sum()
    total = (per_entry * weight).sum()
    return total / normaliser.to(weight.dtype).clamp_min(torch.finfo(weight.dtype).tiny)
