"""What the `moorage` command does on a Ctrl-C that no command reported itself (kept free of imports so that
the console script can use it while the CLI's modules are still being imported)."""

from __future__ import annotations

import signal
import sys
from typing import NoReturn


def interrupted() -> NoReturn:
    """Say "interrupted (Ctrl-C)" and exit 130; a further Ctrl-C meanwhile is ignored (no traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr.write("interrupted (Ctrl-C)\n")
    sys.stderr.flush()
    sys.exit(130)
