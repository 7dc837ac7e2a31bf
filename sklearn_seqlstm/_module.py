"""The torch parts of NextEventClassifier: the LSTM module and its weighted loss."""

import torch
from torch import nn

__all__ = ["LSTMNextEventModule", "WeightedEntryLoss", "PAD", "UNKNOWN", "START", "TRUNCATED"]

# Reserved token ids; events are numbered from N_RESERVED on.
PAD = 0  # right padding of shorter chains in a batch
UNKNOWN = 1  # an event never seen in fit
START = 2  # marks the start of a full history, so the empty history has an input
TRUNCATED = 3  # marks a history cut to its last `max_history` events
N_RESERVED = 4


class LSTMNextEventModule(nn.Module):
    """Embedding, LSTM, and a read-out at the requested positions.

    The read-out is a softmax over the classes. With ``token_class`` given, it is
    mixed with the frequency of each class among the history's events, through a
    gate learned from the hidden state: ``p = g * p_history + (1 - g) * p_lstm``
    (a copy or repeat mechanism, as in RepeatNet). People return to pages, models
    and steps they had before; a softmax over a linear read-out can only
    approximate such a mixture, and learns it from far more data.

    Parameters
    ----------
    n_tokens : int
        Size of the token vocabulary, reserved tokens included.
    n_classes : int
        Number of output classes.
    embedding_dim, hidden_size, num_layers, dropout
        As in :class:`~sklearn_seqlstm.NextEventClassifier`.
    token_class : array-like of int, shape (n_tokens,), default=None
        The class index of each token, -1 for tokens that are no class. None
        turns the copy from the history off.
    """

    def __init__(
        self, n_tokens, n_classes, embedding_dim, hidden_size, num_layers, dropout, token_class=None
    ):
        super().__init__()
        self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=PAD)
        with torch.no_grad():
            # The unknown-event embedding never receives a gradient; zero is the
            # least opinionated input for an event the model has not seen.
            self.embedding.weight[UNKNOWN].zero_()
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, n_classes)
        self.copies = token_class is not None
        if self.copies:
            self.register_buffer("token_class", torch.as_tensor(token_class, dtype=torch.int64))
            self.gate = nn.Linear(hidden_size, 1)

    def forward(self, tokens, positions):
        """Log-probabilities of shape (batch, n_positions, n_classes).

        ``tokens`` (batch, length) are right-padded chains; ``positions`` (batch,
        n_positions) index the outputs to read, the output at ``t`` having seen
        tokens ``0..t``. Right padding cannot change earlier outputs: the LSTM and
        the running counts are causal.
        """
        hidden, _ = self.lstm(self.embedding(tokens))
        index = positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        hidden = self.dropout(torch.gather(hidden, 1, index))
        log_proba = torch.log_softmax(self.output(hidden), dim=-1)
        if not self.copies:
            return log_proba
        counts = self._class_counts(tokens, positions)
        n_copyable = counts.sum(dim=-1, keepdim=True)
        # No event of the history is a class: nothing to copy, the gate stays shut.
        gate = torch.sigmoid(self.gate(hidden)) * (n_copyable > 0)
        proba = gate * counts / n_copyable.clamp_min(1) + (1 - gate) * log_proba.exp()
        return torch.log(proba.clamp_min(torch.finfo(proba.dtype).tiny))

    def _class_counts(self, tokens, positions):
        """How often each class occurs among tokens ``0..t`` at each position ``t``."""
        classes = self.token_class[tokens] + 1  # column 0 collects tokens that are no class
        hits = torch.zeros(*tokens.shape, self.output.out_features + 1, device=tokens.device)
        hits.scatter_(-1, classes.unsqueeze(-1), 1.0)
        running = hits[..., 1:].cumsum(dim=1)
        index = positions.unsqueeze(-1).expand(-1, -1, running.size(-1))
        return torch.gather(running, 1, index)


class WeightedEntryLoss(nn.Module):
    """Weighted mean negative log-likelihood over the entries of a batch of chains.

    Padding entries have weight 0, so they do not count.
    """

    def forward(self, log_proba, y):
        losses = nn.functional.nll_loss(
            log_proba.reshape(-1, log_proba.size(-1)), y["target"].reshape(-1), reduction="none"
        )
        weight = y["weight"].reshape(-1)
        return (losses * weight).sum() / weight.sum().clamp_min(torch.finfo(weight.dtype).tiny)
