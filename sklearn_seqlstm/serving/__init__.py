"""Putting a trained model to work: recommend, streams, save and load, ONNX.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
