"""Diagnostics and their Displays.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
