"""One answer to "is this an image reference": the spec's `image:` keys (services, sidecars, an environment's
override), a compose file's `image:` and `deploy --image` all refuse what a registry would refuse, located, exit 2
(hout3 finding 6: an upper-case path with a space passed plan and deployed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.deploy.releases import with_images
from moorage.errors import InputError
from moorage.spec.image_ref import image_problem

BAD = "ghcr.io/ACME/shop web:1.1.0"


@pytest.mark.parametrize("ref", [
    "nginx", "postgres:16", "public.ecr.aws/nginx/nginx:1.27.3", "ghcr.io/acme/shop-web:1.1.0",
    "localhost:5000/team/api:v2", "registry.example.com:8443/a/b/c:1.0_rc-1", "a__b/c.d-e:TAG_1.x",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "ab" * 32,
    "ghcr.io/acme/api:1.4.2@sha256:" + "0" * 64, "[::1]:5000/x:1",
])
def test_references_registries_accept(ref: str) -> None:
    assert image_problem(ref) is None


@pytest.mark.parametrize(("ref", "said"), [
    (BAD, "whitespace"),
    ("ghcr.io/ACME/shop-web:1.1.0", "upper-case letters in its path 'ACME/shop-web'"),
    ("Nginx:1", "upper-case"),
    ("", "empty"),
    ("ghcr.io/acme/api:", "no tag"),
    ("ghcr.io/acme/api:-1", "tag '-1'"),
    ("ghcr.io/acme/api:" + "1" * 129, "1-128"),
    ("ghcr.io/acme/api@sha256:xyz", "ALGORITHM:HEX"),
    ("ghcr.io/acme//api:1", "empty part"),
    ("ghcr.io/acme/-api:1", "'-api'"),
    ("ghcr.io/acme/api$x:1", "'api$x'"),
    ("bad_host.io/acme/api:1", "registry 'bad_host.io'"),
    ("a/" + "b" * 260, "at most 255"),
])
def test_references_registries_refuse(ref: str, said: str) -> None:
    why = image_problem(ref)
    assert why is not None and said in why, why


SPEC = """name: shop
services:
  web:
    image: {web}
    port: 8080
    route: /*
    sidecars:
      agent:
        image: {agent}
environments:
  dev: {{}}
  prod:
    services:
      web:
        image: {prod}
"""


def _errors(run_cli: Callable[..., Any], spec: Path) -> str:
    done = run_cli("plan", spec)
    assert done.code == 2, done.out + done.err
    assert "internal error" not in done.err and "Traceback" not in done.err
    return str(done.err)


@pytest.mark.parametrize(("where", "line", "key"), [
    ("web", 4, "services.web.image"),
    ("agent", 9, "services.web.sidecars.agent.image"),
    ("prod", 15, "services.web.image"),  # an environment's override: located at the override's line
])
def test_a_bad_image_in_the_spec_is_a_located_error(run_cli: Callable[..., Any], tmp_path: Path,
                                                    where: str, line: int, key: str) -> None:
    images = {"web": "ghcr.io/acme/web:1.0.0", "agent": "amazon/aws-xray-daemon:3.3.12",
              "prod": "ghcr.io/acme/web:1.0.0"}
    images[where] = f'"{BAD}"'
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC.format(**images), encoding="utf-8")
    err = _errors(run_cli, spec)
    assert f"{spec}:{line}:" in err and f"[{key}]" in err, err
    assert f"{BAD!r} is not an image reference: it holds whitespace" in err
    assert "hint: an image reference looks like [REGISTRY/]PATH[:TAG][@sha256:DIGEST]" in err


def test_the_spec_and_deploy_image_give_the_same_answer(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC.format(web="ghcr.io/acme/web:1.0.0", agent="amazon/aws-xray-daemon:3.3.12",
                                prod="ghcr.io/acme/web:1.0.0"), encoding="utf-8")
    loaded = api.load_app(spec)
    upper = "ghcr.io/ACME/web:1.1.0"  # no space: the old `--image` check let it through
    with pytest.raises(InputError) as refused:
        with_images(loaded, {"web": upper})
    [diag] = refused.value.diagnostics
    assert diag.message == f"--image web={upper!r} is not an image reference: it {image_problem(upper)}"
    assert diag.hint.startswith("an image reference looks like")
    assert with_images(loaded, {"web": "ghcr.io/acme/web:1.1.0"}).spec.services["web"].image == \
        "ghcr.io/acme/web:1.1.0"


def test_a_bad_image_in_a_compose_file_is_located_in_it(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(f'services:\n  web:\n    image: "{BAD}"\n    ports: ["8080:8080"]\n', encoding="utf-8")
    err = _errors(run_cli, compose)
    assert f"{compose}:3:" in err and "[services.web.image]" in err and "holds whitespace" in err, err
    out = tmp_path / "moorage.yml"
    init = run_cli("init", "--from", compose, "--output", out)
    assert init.code == 2 and f"{compose}:3:" in init.err and "holds whitespace" in init.err, init.err
    assert not out.exists(), "init writes nothing that would not load"
