"""Which files a compose file may pull in: ``env_file`` and ``extends.file`` stay inside the project.

"The project" is the git checkout that holds the compose file (the nearest parent with ``.git``), or
the compose file's own directory when it is not in a checkout. A path is judged after symlinks are
resolved, so ``env_file: /proc/self/environ`` or ``../../etc/passwd`` or a link out of the tree is
refused: a pull request could otherwise copy a runner's files into a template or a PR comment.
"""

from __future__ import annotations

import stat
from pathlib import Path

# A real .env is a few kilobytes; the bounds keep a hostile one from stalling an import.
ENV_FILE_MAX_BYTES = 1024 * 1024
ENV_FILE_MAX_VARIABLES = 1_000  # an ECS task definition (64 KiB) holds about that many

OUTSIDE_HINT = "copy the values into a file inside the project, or declare them as secrets: and set them with " \
               "`moorage secrets set`"


class ProjectFileError(ValueError):
    """A referenced file that moorage will not read (message says why)."""


def project_root(directory: Path) -> Path:
    """The project of a compose file in ``directory``: its git checkout, else the directory (resolved)."""
    start = directory.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def project_file(root: Path, base_dir: Path, entry: str) -> Path:
    """``entry`` (relative to ``base_dir``) resolved, if it is a regular file inside ``root``.

    Raises :class:`FileNotFoundError` when it does not exist and :class:`ProjectFileError` when it
    resolves outside ``root`` or is not a regular file (a FIFO, a device, a directory).
    """
    raw = base_dir / entry
    real = raw.resolve()
    if not real.is_relative_to(root):
        raise ProjectFileError(f"{entry} resolves to {real}, outside the project {root}; moorage reads "
                               "files only from the project")
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ProjectFileError(f"cannot read {entry}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise ProjectFileError(f"{entry} is not a regular file")
    return real


def env_file_size_problem(path: Path) -> str | None:
    """Why an env file is too big to read, or None."""
    size = path.stat().st_size
    if size > ENV_FILE_MAX_BYTES:
        return f"the env file is {size:,} bytes; moorage reads at most {ENV_FILE_MAX_BYTES:,}"
    return None
