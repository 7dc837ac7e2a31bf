"""The sampled softmax: training on a large catalogue without a softmax over all of it.

The full softmax costs batch x positions x classes per step, forwards and
backwards: with 50,000 items an epoch took minutes where the LSTM itself took
seconds. A sampled softmax (Jean et al. 2015; the logQ correction of Yi et al.
2019, as in Transformers4Rec) scores each target against ``n_negatives`` classes
drawn once per batch from a proposal Q, the training targets' frequencies plus
one. Subtracting log Q from every logit makes the loss an estimate of the full
softmax's, so popular items are not pushed down merely for being drawn often. A
negative equal to the target (an accidental hit) is left out.

Only training uses it: validation losses and every prediction use the full
softmax, at the positions read only (see :mod:`._inference`).
"""

import numpy as np
import torch

__all__ = ["proposal_log_q", "sampled_target_log_proba"]


def proposal_log_q(targets, n_classes, weights=None):
    """log Q of each class: the (weighted) training targets' frequencies plus one, normalised."""
    counts = np.bincount(targets, weights=weights, minlength=n_classes)[:n_classes]
    counts = counts / max(counts.sum(), 1e-300) * len(targets) + 1.0  # plus one sample each
    return np.log(counts / counts.sum()).astype(np.float32)


def sampled_target_log_proba(module, hidden, classes, rows, positions, targets):
    """Softmax log-probability of each target against sampled negatives: (n_entries,).

    ``module`` is the :class:`LSTMNextEventModule`; ``hidden`` (n_entries, hidden)
    is its hidden state at each entry, at ``positions`` of chains ``rows`` (each
    (n_entries,)); ``classes`` (batch, length) are the class index + 1 of each
    token (0: no class), as in its ``forward``. With the copy from the history,
    the repeat shift applies to the target and to each negative that the history
    holds, as in the full read-out.
    """
    log_q = module.class_log_q.to(hidden.device)
    negatives = torch.multinomial(log_q.exp(), module.n_negatives, replacement=True)
    weight, bias = module.output.weight, module.output.bias
    target_logit = (hidden * weight[targets]).sum(-1) + bias[targets] - log_q[targets]
    negative_logit = hidden @ weight[negatives].T + (bias[negatives] - log_q[negatives])
    if module.copies:
        shift = module.repeat_shift(hidden)  # (n_entries, 1)
        held = module._entry_target_counts(classes, rows, positions, targets) > 0
        target_logit = target_logit + shift.squeeze(-1) * held
        # First position of each class in each chain, read at the negatives only.
        first = module._first_steps(classes)[:, negatives].index_select(0, rows)
        seen = first <= positions.unsqueeze(-1)
        negative_logit = negative_logit + shift * seen
    hit = negatives == targets.unsqueeze(-1)  # (n_entries, n_negatives)
    negative_logit = negative_logit.masked_fill(hit, float("-inf"))
    logits = torch.cat([target_logit.unsqueeze(-1), negative_logit], dim=-1)
    return torch.log_softmax(logits, dim=-1)[..., 0]
