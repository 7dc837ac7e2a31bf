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
    """Embedding, LSTM and a linear read-out at the requested positions.

    Parameters
    ----------
    n_tokens : int
        Size of the token vocabulary, reserved tokens included.
    n_classes : int
        Number of output classes.
    embedding_dim, hidden_size, num_layers, dropout
        As in :class:`~sklearn_seqlstm.NextEventClassifier`.
    """

    def __init__(self, n_tokens, n_classes, embedding_dim, hidden_size, num_layers, dropout):
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

    def forward(self, tokens, positions):
        """Logits of shape (batch, n_positions, n_classes).

        ``tokens`` (batch, length) are right-padded chains; ``positions`` (batch,
        n_positions) index the outputs to read, the output at ``t`` having seen
        tokens ``0..t``. Right padding cannot change earlier outputs: the LSTM is
        causal.
        """
        hidden, _ = self.lstm(self.embedding(tokens))
        index = positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        return self.output(self.dropout(torch.gather(hidden, 1, index)))


class WeightedEntryLoss(nn.Module):
    """Weighted mean cross-entropy over the entries of a batch of chains.

    Padding entries have weight 0, so they do not count.
    """

    def forward(self, logits, y):
        losses = nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), y["target"].reshape(-1), reduction="none"
        )
        weight = y["weight"].reshape(-1)
        return (losses * weight).sum() / weight.sum().clamp_min(torch.finfo(weight.dtype).tiny)
