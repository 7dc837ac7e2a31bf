"""The error of ``seqlstm evaluate`` for bad data in its event log.

The log itself is read by :mod:`._log_files`, as ``seqlstm fit`` and ``seqlstm
recommend`` read theirs, so that the commands take the same files and options.
"""

from ._cli_common import CommandError


class EvaluateInputError(CommandError):
    """Bad input to ``seqlstm evaluate`` (the event log): exit status 1."""
