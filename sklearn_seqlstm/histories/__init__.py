"""Histories and where they come from: checks, prefix and attributed histories, event logs.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
