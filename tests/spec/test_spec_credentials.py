"""Plain-text credentials outside credential-named variables: in commands, entrypoints, health checks,
sidecars, DSNs and URL queries. Refused with their location in moorage.yml; moved to Secrets Manager
when a compose file sets them as environment values; never written by `init`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage import api
from moorage.spec.models import embedded_credential

if TYPE_CHECKING:
    from conftest import CliResult

HEAD = "name: demo\nservices:\n  web:\n    image: x:1\n    port: 80\n"
# id, service lines, line of the error, key, words
CASES = [
    ("health-curl", "    healthcheck:\n      command: [CMD-SHELL, 'curl -fsS -u admin:PLANTED http://localhost/']\n",
     7, "services.web.healthcheck.command", "user:password after -u/--user"),
    ("command-dsn", "    command: [psql, 'host=db user=app password=PLANTED']\n", 6, "services.web.command",
     "password= setting"),
    ("entrypoint-flag", "    entrypoint: 'mysqladmin --password=PLANTED ping'\n", 6, "services.web.entrypoint",
     "--password argument"),
    ("env-query", "    env:\n      FEED: 'https://feeds.example.com/x?key=PLANTED'\n", 7, "services.web.env.FEED",
     "credential in a URL query"),
    ("env-dsn", "    env:\n      LEGACY: 'host=db password=PLANTED'\n", 7, "services.web.env.LEGACY", "password="),
    ("env-token", "    env:\n      PAYMENTS: sk_live_PLANTED123\n", 7, "services.web.env.PAYMENTS", "known token"),
    ("sidecar-command",
     "    sidecars:\n      proxy:\n        image: p:1\n        command: [run, '--token', 'PLANTED']\n", 9,
     "services.web.sidecars.proxy.command", "--password argument"),
]


@pytest.mark.parametrize(("lines", "line", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plain_credential_is_refused_with_its_location(run_cli: Callable[..., CliResult],
                                                       write_spec: Callable[..., Path], tmp_path: Path,
                                                       lines: str, line: int, key: str, words: str) -> None:
    spec = write_spec(tmp_path / "app", HEAD + lines)
    result = run_cli("plan", spec)
    assert result.code == 2, result.out + result.err
    assert f"{spec}:{line}:" in result.err and f"[{key}]" in result.err and words in result.err
    assert "PLANTED" not in result.out


@pytest.mark.parametrize("text", ["curl -u admin:$ADMIN_PASSWORD http://localhost/", "https://x/?key=${KEY}",
                                  "host=db password=$PGPASSWORD", "curl -f http://localhost/health?verbose=1",
                                  "redis-server --requirepass ${REDIS_PASSWORD}", "--user=app"])
def test_references_are_not_credentials(text: str) -> None:
    assert embedded_credential(text) is None


def test_init_writes_references_never_values(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SITE_NAME=Acme\nFEED=https://x.example/f?key=PLANTED1\n"
                                   "DB_DSN=host=db password=PLANTED2\nAPP_SEED=7f9a8b2Qx01LmZp4PLANTED3\n"
                                   "NPM_TOKEN=npm_PLANTED4\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    build:\n      context: .\n      args: {NPM_TOKEN: '${NPM_TOKEN}'}\n"
                       "    ports: ['80:3000']\n    environment:\n      SITE_NAME: ${SITE_NAME}\n"
                       "      FEED_URL: ${FEED}\n      LEGACY: ${DB_DSN}\n      SEED: ${APP_SEED}\n",
                       encoding="utf-8")
    output = tmp_path / "moorage.yml"
    result = run_cli("init", "--from", compose, "-o", output)
    assert result.code == 0, result.err
    written = output.read_text(encoding="utf-8")
    assert "PLANTED" not in written + result.out + result.err
    spec = api.load_app(output).spec.services["web"]
    assert set(spec.secret_env) == {"FEED_URL", "LEGACY", "SEED"} and spec.env == {"SITE_NAME": "Acme"}


def test_compose_command_with_a_credential_moves_to_a_secret_at_its_line(run_cli: Callable[..., CliResult],
                                                                         tmp_path: Path) -> None:
    """A compose file's command is rewritten to read the credential from a secret variable (warned at
    its line); a moorage.yml that writes one is refused (the spec is the user's own text)."""
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n"
                       "    command: ['sh', '-c', 'curl -u admin:PLANTED http://x && nginx']\n", encoding="utf-8")
    result = run_cli("plan", compose)
    assert result.code == 0, result.err
    assert f"{compose}:5:" in result.err and "command held" in result.err and "COMMAND_CREDENTIAL" in result.err
    assert "PLANTED" not in result.out + result.err
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: web\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n"
                    "    command: ['sh', '-c', 'curl -u admin:PLANTED http://x && nginx']\n", encoding="utf-8")
    refused = run_cli("plan", spec)
    assert refused.code == 2 and f"{spec}:6:" in refused.err and "services.web.command" in refused.err


def test_init_keeps_common_third_party_credentials_out_of_the_spec(run_cli: Callable[..., CliResult],
                                                                    tmp_path: Path) -> None:
    # Found by a new user: names and forms the first credential checks missed.
    (tmp_path / ".env").write_text(
        "ENCRYPTION_PASSPHRASE=PLANTEDpass\nALGOLIA_ADMIN_KEY=PLANTEDalgolia\n"
        "GOOGLE_MAPS_KEY=AIzaSyD-PLANTEDPLANTEDPLANTEDPLANTED12\n"
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0AAA/B0BBB/PLANTEDxyz\n"
        "SENTRY_DSN=https://abcdef1234567890PLANTED@o12345.ingest.sentry.io/123\n"
        "REDIS_TLS_KEY=/certs/redis.key\n", encoding="utf-8")
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    ports: ['8000:8000']\n"
                       "    environment:\n      ENCRYPTION_PASSPHRASE: ${ENCRYPTION_PASSPHRASE}\n"
                       "      ALGOLIA_ADMIN_KEY: ${ALGOLIA_ADMIN_KEY}\n      MAPS: ${GOOGLE_MAPS_KEY}\n"
                       "      SLACK_WEBHOOK_URL: ${SLACK_WEBHOOK_URL}\n      SENTRY_DSN: ${SENTRY_DSN}\n"
                       "      REDIS_TLS_KEY: ${REDIS_TLS_KEY}\n", encoding="utf-8")
    output = tmp_path / "moorage.yml"
    result = run_cli("init", "--from", compose, "-o", output)
    assert result.code == 0, result.err
    assert "PLANTED" not in output.read_text(encoding="utf-8") + result.out + result.err
    spec = api.load_app(output).spec.services["web"]
    assert set(spec.secret_env) == {"ENCRYPTION_PASSPHRASE", "ALGOLIA_ADMIN_KEY", "MAPS", "SLACK_WEBHOOK_URL",
                                    "SENTRY_DSN"}
    assert spec.env == {"REDIS_TLS_KEY": "/certs/redis.key"}  # a file path, not a credential
