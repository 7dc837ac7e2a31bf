"""The ``seqlstm`` command.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
