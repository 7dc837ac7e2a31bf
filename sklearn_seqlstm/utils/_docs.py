"""Parameter texts shared by several docstrings: written once, so they cannot drift apart."""

__all__ = ["SAVE_DOC", "shared_docs"]


def shared_docs(texts):
    """A decorator that puts ``texts[name]`` into a docstring at its ``%(name)s`` marks.

    Works on functions and classes. A mark stands indented as the lines around
    it (formatters re-indent a docstring whose lines are not), so the first line
    of each text comes without indentation. Docstrings stripped by ``python -OO``
    are left as they are.
    """
    texts = {name: text.lstrip() for name, text in texts.items()}

    def fill(obj):
        if obj.__doc__ is not None:
            obj.__doc__ = obj.__doc__ % texts
        return obj

    return fill


# The docstring of every estimator's ``save``: the estimators of neural/ and
# baselines/ each have a thin ``save`` that hands them to serving.
SAVE_DOC = """Write the fitted estimator to ``path``, safely (JSON and safetensors, no pickle).

        Load it with :func:`sklearn_seqlstm.load`. The file is written to a
        temporary name and then renamed, so an error never leaves half a model.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (a zip archive; any name, for example
            ``model.seqlstm``).
        overwrite : bool, default=False
            Replace ``path`` if it exists; otherwise an existing file is an error.

        Raises
        ------
        ValueError
            When a label or event cannot be saved exactly (only str, int, float
            and bool values, Python or numpy, can).
        FileExistsError
            When ``path`` exists and ``overwrite`` is False.
        """
