"""The arguments and options that many commands share, defined once so their names and help agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SpecArg = Annotated[Path, typer.Argument(help="moorage.yml, a docker-compose file, or a directory holding one "
                                              "(default: the one in the current directory)", show_default=False)]
ComposeProfileOpt = Annotated[list[str] | None, typer.Option("--compose-profile",
                                                             help="compose profile to include (repeatable)")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="compose .env file (default: next to it)")]
