"""Bad input through the CLI: exit code 2, a located human error on stderr, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import CliResult

# id, spec, environment to plan, (needle, occurrence) of the line the error points at, key, words
BAD = [
    ("malformed-yaml", "name: demo\nservices:\n  web: {image: x\n  port: 3\n", None, ("port: 3", 1), None,
     "malformed YAML"),
    ("unknown-key", "name: demo\nservices:\n  web:\n    imgae: nginx:1\n", None, ("imgae", 1),
     "services.web.imgae", "did you mean 'image'?"),
    ("cpu-memory", "name: demo\nservices:\n  web:\n    image: x:1\n    cpu: 512\n    memory: 512\n", None,
     ("web:", 1), "services.web", "cpu 512 allows memory 1024, 2048, 3072, 4096"),
    ("sidecar-port-clash", "name: demo\nservices:\n  web:\n    image: x:1\n    port: 9000\n    sidecars:\n"
     "      otel: {image: otel:1, port: 9000}\n", None, ("web:", 1), "services.web", "port clash"),
    ("route-clash", 'name: demo\nservices:\n  web: {image: x:1, port: 80, route: "/api/*"}\n'
     '  api: {image: x:1, port: 81, route: "/api/*"}\n', None, ("api:", 1), "services.api.route",
     "already taken by 'web'"),
    ("uses-undefined", "name: demo\nservices:\n  web: {image: x:1, uses: [cahce]}\ncaches:\n  cache: {}\n", None,
     ("web:", 1), "services.web.uses[0]", "did you mean 'cache'?"),
    ("dependency-cycle", "name: demo\nservices:\n  api: {image: x:1, port: 1, uses: [web]}\n"
     "  web: {image: x:1, port: 2, uses: [api]}\n", None, ("api:", 1), "services.api.uses", "dependency cycle"),
    ("missing-image", "name: demo\nservices:\n  web:\n    port: 80\n", None, ("web:", 1), "services.web",
     "needs an image"),
    ("secret-env", "name: demo\nservices:\n  web:\n    image: x:1\n    env:\n      STRIPE_API_KEY: sk_live_MARKER\n",
     None, ("STRIPE_API_KEY", 1), "services.web.env.STRIPE_API_KEY", "looks like a credential"),
    ("spot-arm64", "name: demo\nservices:\n  web: {image: x:1, spot: true, arch: arm64}\n", None, ("web:", 1),
     "services.web", "Spot does not run arm64"),
    ("unknown-environment", "name: demo\nservices:\n  web: {image: x:1}\nenvironments:\n  dev: {}\n  prod: {}\n",
     "prdo", ("environments:", 1), "environments", "did you mean 'prod'?"),
    ("override-undefined-service", "name: demo\nservices:\n  web: {image: x:1}\nenvironments:\n  dev:\n"
     "    services:\n      wbe: {cpu: 512}\n", "dev", ("wbe:", 1), "environments.dev.services.wbe",
     "which is not defined"),
    ("forbidden-env", "name: demo\nforbid_env: [DEBUG]\nservices:\n  web:\n    image: x:1\n    env: {DEBUG: 'true'}\n",
     "prod", ("DEBUG: 'true'", 1), "services.web.env.DEBUG", "must not be set in environment 'prod'"),
    ("residency", "name: demo\nregion: me-south-1\nresidency: uae\nservices:\n  web: {image: x:1}\n", "dev",
     ("region:", 1), "region", "outside the residency"),
    ("engine-version", "name: demo\nservices:\n  web: {image: x:1, uses: [db]}\ndatabases:\n"
     "  db: {version: '11'}\n", "dev", ("version:", 1), "databases.db.version", "cannot be created on RDS"),
]


@pytest.mark.parametrize(("text", "env", "where", "key", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
@pytest.mark.parametrize("command", ["plan", "synth"])
def test_bad_input_exits_2_with_a_located_error(run_cli: Callable[..., CliResult], write_spec, tmp_path: Path,
                                                locate: Callable[..., int], command: str, text: str,
                                                env: str | None, where: tuple[str, int], key: str | None,
                                                words: str) -> None:
    spec = write_spec(tmp_path / "app", text)
    args = [command, spec, *(["--env", env] if env else [])]
    if command == "synth":
        args += ["-o", tmp_path / "out"]
    result = run_cli(*args)
    assert result.code == 2, result.out + result.err
    assert f"{spec}:{locate(text, *where)}:" in result.err, result.err
    assert "error:" in result.err and words in result.err
    if key:
        assert f"[{key}]" in result.err
    assert "Traceback" not in result.err + result.out and "internal error" not in result.err
    assert "MARKER" not in result.err + result.out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("args", [
    ("docs", "{spec}", "--env", "prod", "-o", "{file}"),                      # a file where the site folder goes
    ("diagram", "{spec}", "--env", "prod", "--format", "svg", "-o", "{dir}"),  # a folder where the file goes
    ("init", "--from", "{compose}", "-o", "{missing}/moorage.yml"),            # a parent that does not exist
], ids=["docs-onto-a-file", "diagram-onto-a-folder", "init-into-a-missing-folder"])
def test_unwritable_output_paths_exit_2_naming_the_path(run_cli: Callable[..., CliResult], tmp_path: Path,
                                                        args: tuple[str, ...]) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    values = {"spec": str(EXAMPLES / "hello" / "moorage.yml"), "file": str(tmp_path / "afile"),
              "dir": str(tmp_path / "adir"), "missing": str(tmp_path / "nope" / "deeper"),
              "compose": str(EXAMPLES / "smartboard" / "docker-compose.yml")}
    result = run_cli(*(a.format(**values) for a in args))
    assert result.code == 2, result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    assert "error: " in result.err and str(tmp_path) in result.err
