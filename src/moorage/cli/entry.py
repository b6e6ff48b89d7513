"""The ``moorage`` console script: imports nothing heavy itself, so that a Ctrl-C at any point (while the
CLI's modules are still being imported included) ends with "interrupted" and exit code 130, never a
traceback or a death by signal."""

from __future__ import annotations

import signal

from moorage.cli.interrupted import interrupted


def main() -> None:
    """Run :func:`moorage.cli.app.main`; KeyboardInterrupt anywhere becomes "interrupted (Ctrl-C)", exit 130."""
    try:
        try:
            from moorage.cli.app import main as run

            run()
        finally:  # done (or interrupted): a Ctrl-C while the process exits changes nothing, so it is ignored
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        interrupted()


if __name__ == "__main__":
    main()
