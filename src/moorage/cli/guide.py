"""`moorage docs` and `moorage diagram`: the deployment guide and the architecture diagram of a spec."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from moorage.cli.options import ComposeProfileOpt, EnvFileOpt, SpecArg
from moorage.cli.output import console, print_diagnostics
from moorage.errors import Diagnostic, InputError
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.spec.load import LoadedApp

api = lazy_module("moorage.api")  # loaded when a command runs, not for --help
out = console()
err = console(stderr=True)



class DiagramFormat(StrEnum):
    """Output formats of `moorage diagram`."""

    svg = "svg"
    png = "png"
    mermaid = "mermaid"


def _load(spec: Path, profile: list[str] | None, env_file: Path | None) -> LoadedApp:
    loaded = api.load_app(spec, profiles=profile or [], env_file=env_file)
    print_diagnostics([d for d in loaded.warnings if d.severity == "warning"])
    return loaded


def _check_envs(loaded: LoadedApp, envs: list[str]) -> list[str]:
    known = list(loaded.spec.environments)
    unknown = [e for e in envs if e not in known]
    if unknown:
        raise InputError([Diagnostic("error", f"unknown environment '{unknown[0]}'", None,
                                     f"environments of this spec: {', '.join(known)}")])
    return envs


def docs(
    spec: SpecArg = Path("."),
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment (repeatable)")] = None,
    all_envs: Annotated[bool, typer.Option("--all", help="every environment, and a page comparing them")] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="directory to write the site into")] = Path("site"),
    profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
) -> None:
    """Write the deployment guide: index.html (one self-contained page) and DEPLOYMENT.md per environment."""
    from moorage.guide import graphviz_available, write_guide, write_site

    loaded = _load(spec, profile, env_file)
    envs = list(loaded.spec.environments) if all_envs else _check_envs(loaded, env or [])
    if not envs:
        if len(loaded.spec.environments) != 1:
            raise InputError([Diagnostic("error", "which environment?", None,
                                         f"give --env NAME (one of {', '.join(loaded.spec.environments)}) or --all")])
        envs = list(loaded.spec.environments)
    inputs = api.guide_inputs(loaded, envs, str(spec))
    if not graphviz_available():
        err.print("warning: Graphviz is not installed: the pages show the diagram as Mermaid source\n"
                  "    hint: install the system package `graphviz` (apt-get install graphviz) and rerun", markup=False)
    written = write_guide(inputs[0], output) if len(inputs) == 1 else write_site(inputs, output)
    for path in written:
        out.print(f"wrote {path}")
    out.print(f"open {written[0]} in a browser (it is one file: no server, no network needed)")


def diagram(
    spec: SpecArg = Path("."),
    env: Annotated[str | None, typer.Option("--env", "-e", help="environment (default: the only one)")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write: .svg or .png")] = None,
    fmt: Annotated[DiagramFormat | None, typer.Option("--format", "-f", help="svg, png or mermaid "
                                                      "(default: from the file name, else mermaid)")] = None,
    profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
) -> None:
    """Draw the architecture of one environment: SVG/PNG (needs Graphviz) or Mermaid text (needs nothing)."""
    from moorage.guide import diagram_of, render_image, to_mermaid

    loaded = _load(spec, profile, env_file)
    if env is None:
        if len(loaded.spec.environments) != 1:
            raise InputError([Diagnostic("error", "which environment?", None,
                                         f"give --env NAME (one of {', '.join(loaded.spec.environments)})")])
        env = next(iter(loaded.spec.environments))
    _check_envs(loaded, [env])
    chosen = fmt.value if fmt else (output.suffix.lstrip(".").lower() if output and output.suffix else "mermaid")
    if chosen not in {f.value for f in DiagramFormat}:
        raise InputError([Diagnostic("error", f"cannot tell the diagram format of {output}", None,
                                     "name the file *.svg or *.png, or give --format svg|png|mermaid")])
    picture = diagram_of(api.plan_environment(loaded, env))
    data = to_mermaid(picture).encode("utf-8") if chosen == "mermaid" else render_image(picture, chosen)
    if output is None:
        if chosen == "png":
            raise InputError([Diagnostic("error", "a PNG needs a file", None, "add -o arch.png")])
        sys.stdout.write(data.decode("utf-8"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    out.print(f"wrote {output} ({chosen}, {len(picture.nodes)} nodes, {len(picture.edges)} arrows)")
