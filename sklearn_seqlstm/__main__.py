"""``python -m sklearn_seqlstm``: the ``seqlstm`` command."""

import sys

from .cli._cli import main

if __name__ == "__main__":
    sys.exit(main())
