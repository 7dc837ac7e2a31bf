"""Parameter texts shared by several docstrings: written once, so they cannot drift apart."""

__all__ = ["shared_docs"]


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
