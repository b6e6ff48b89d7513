"""Bad input is rejected with a located, human error: file, line, key, what is wrong and a hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.errors import Diagnostic

SPEC = Callable[..., tuple[Path, list[Diagnostic]]]


def find(diags: list[Diagnostic], path: tuple) -> Diagnostic:
    hits = [d for d in diags if d.location is not None and d.location.path == path]
    assert hits, f"no diagnostic at {path}; got:\n" + "\n".join(d.render() for d in diags)
    return hits[0]


# id, spec, key path, (needle, occurrence) of the line it must point at, words in the message, words in the hint
CASES = [
    ("unknown-key", """
        name: demo
        services:
          web:
            imgae: nginx:1.27
            port: 80
        """, ("services", "web", "imgae"), ("imgae", 1), "unknown key 'imgae'", "did you mean 'image'?"),
    ("unknown-top-level-key", """
        name: demo
        servics:
          web: {image: x:1}
        services:
          web: {image: x:1}
        """, ("servics",), ("servics", 1), "unknown key 'servics'", "did you mean 'services'?"),
    ("unknown-nested-key", """
        name: demo
        services:
          web:
            image: x:1
            port: 80
            scaling: {min: 1, max: 3, cpuu: 60}
        """, ("services", "web", "scaling", "cpuu"), ("scaling", 1), "unknown key 'cpuu'", "did you mean 'cpu'?"),
    ("cpu-memory-pair", """
        name: demo
        services:
          web:
            image: nginx:1.27
            cpu: 256
            memory: 4096
        """, ("services", "web"), ("web:", 1), "cpu 256 with memory 4096 is not a valid Fargate size", ""),
    ("cpu-not-a-size", """
        name: demo
        services:
          web: {image: x:1, cpu: 300}
        """, ("services", "web", "cpu"), ("web:", 1), "cpu 300 is not a Fargate size", ""),
    ("sidecar-port-clash", """
        name: demo
        services:
          web:
            image: nginx:1.27
            port: 8080
            sidecars:
              proxy: {image: envoy:1.31, port: 8080}
        """, ("services", "web"), ("web:", 1), "port clash: sidecar 'proxy' uses port 8080", ""),
    ("route-clash", """
        name: demo
        services:
          web: {image: x:1, port: 80, route: "/*"}
          other:
            image: x:1
            port: 81
            route: "/*"
        """, ("services", "other", "route"), ('route: "/*"', 2), "route '/*' is already taken by 'web'",
     "one service"),
    ("uses-undefined", """
        name: demo
        services:
          web:
            image: x:1
            uses: [dbb]
        databases:
          db: {}
        """, ("services", "web", "uses", 0), ("uses: [dbb]", 1), "uses 'dbb', which is not defined",
     "did you mean 'db'?"),
    ("uses-undefined-no-close-match", """
        name: demo
        services:
          web:
            image: x:1
            uses: [zzz]
        """, ("services", "web", "uses", 0), ("uses: [zzz]", 1), "uses 'zzz', which is not defined",
     "define it under services, databases, caches or buckets"),
    ("uses-service-without-port", """
        name: demo
        services:
          web: {image: x:1, uses: [worker]}
          worker: {image: x:1}
        """, ("services", "web", "uses", 0), ("web:", 1), "has no port", "give 'worker' a port"),
    ("uses-itself", """
        name: demo
        services:
          web: {image: x:1, port: 80, uses: [web]}
        """, ("services", "web", "uses", 0), ("web:", 1), "cannot use itself", ""),
    ("dependency-cycle", """
        name: demo
        services:
          aa: {image: x:1, port: 1001, uses: [bb]}
          bb: {image: x:1, port: 1002, uses: [cc]}
          cc: {image: x:1, port: 1003, uses: [aa]}
        """, ("services", "aa", "uses"), ("aa:", 1), "dependency cycle: aa -> bb -> cc -> aa", "break the cycle"),
    ("missing-image", """
        name: demo
        services:
          web:
            port: 80
        """, ("services", "web"), ("web:", 1), "needs an image", ""),
    ("secret-looking-env", """
        name: demo
        services:
          web:
            image: x:1
            env:
              LOG_LEVEL: info
              DB_PASSWORD: hunter2
        """, ("services", "web", "env", "DB_PASSWORD"), ("DB_PASSWORD", 1), "looks like a credential",
     "secrets:"),
    ("password-in-url", """
        name: demo
        services:
          web:
            image: x:1
            env:
              UPSTREAM: "https://svc:s3cr3t@api.example.com/v1"
        """, ("services", "web", "env", "UPSTREAM"), ("UPSTREAM", 1), "URL with a password", "uses:"),
    ("env-and-secret", """
        name: demo
        services:
          web:
            image: x:1
            env: {JWT_SECRET: ""}
            secrets: [JWT_SECRET]
        secrets:
          JWT_SECRET: {}
        """, ("services", "web", "env", "JWT_SECRET"), ("env:", 1), "both as plain env and as a secret", ""),
    ("undefined-secret", """
        name: demo
        services:
          web:
            image: x:1
            secrets: [API_KEY]
        """, ("services", "web", "secrets", 0), ("secrets:", 1), "secret 'API_KEY' is not defined",
     "top-level `secrets:`"),
    ("secret-ref-embedded", """
        name: demo
        services:
          web:
            image: x:1
            uses: [db]
            env:
              DSN: "x-{{ db.password }}"
        databases:
          db: {}
        """, ("services", "web", "env", "DSN"), ("DSN", 1), "must be the whole value", ""),
    ("ref-to-unused", """
        name: demo
        services:
          web:
            image: x:1
            env:
              DB_HOST: "{{ db.host }}"
        databases:
          db: {}
        """, ("services", "web", "env", "DB_HOST"), ("DB_HOST", 1), "which the service does not use",
     "add 'db' to services.web.uses"),
    ("ref-unknown-attribute", """
        name: demo
        services:
          web:
            image: x:1
            uses: [db]
            env:
              DB: "{{ db.hostname }}"
        databases:
          db: {}
        """, ("services", "web", "env", "DB"), ("DB:", 1), "has no attribute 'hostname'", "host"),
    ("duplicate-name", """
        name: demo
        services:
          web: {image: x:1}
          db: {image: postgres:16}
        databases:
          db: {}
        """, ("databases", "db"), ("db: {}", 1), "used by both services and databases", "unique"),
    ("spot-arm64", """
        name: demo
        services:
          web:
            image: x:1
            spot: true
            arch: arm64
        """, ("services", "web"), ("web:", 1), "Fargate Spot does not run arm64", ""),
    ("routed-without-port", """
        name: demo
        services:
          web: {image: x:1, route: "/*"}
        """, ("services", "web"), ("web:", 1), "a routed service needs a port", ""),
    ("route-not-a-path", """
        name: demo
        services:
          web: {image: x:1, port: 80, route: "api/*"}
        """, ("services", "web", "route"), ("web:", 1), "is not an ALB path pattern", ""),
    ("scaling-min-above-max", """
        name: demo
        services:
          web:
            image: x:1
            port: 80
            scaling: {min: 5, max: 2}
        """, ("services", "web", "scaling"), ("scaling:", 1), "min (5) is greater than max (2)", ""),
    ("unknown-region", """
        name: demo
        region: eu-west-9
        services:
          web: {image: x:1}
        """, ("region",), ("region:", 1), "unknown AWS region 'eu-west-9'", ""),
    ("unknown-residency", """
        name: demo
        residency: mars
        services:
          web: {image: x:1}
        """, ("residency",), ("residency:", 1), "unknown residency preset 'mars'", ""),
    ("missing-services", """
        name: demo
        """, ("services",), ("name:", 1), "missing required key 'services'", "moorage schema"),
    ("log-retention", """
        name: demo
        logs: {retention: 8}
        services:
          web: {image: x:1}
        """, ("logs", "retention"), ("logs:", 1), "not 8", ""),
    ("aurora-storage", """
        name: demo
        services:
          web: {image: x:1, uses: [db]}
        databases:
          db: {engine: aurora-postgresql, storage: 100}
        """, ("databases", "db"), ("db:", 1), "Aurora storage grows by itself", ""),
    ("bucket-access-without-use", """
        name: demo
        services:
          web: {image: x:1}
        buckets:
          files: {access: {web: read}}
        """, ("buckets", "files", "access", "web"), ("files:", 1), "does not use 'files'",
     "add 'files' to services.web.uses"),
]


@pytest.mark.parametrize(("text", "path", "where", "message", "hint"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rejected_with_a_located_error(input_errors: SPEC, locate: Callable[..., int], text: str, path: tuple,
                                       where: tuple[str, int], message: str, hint: str) -> None:
    spec, diags = input_errors(text)
    diag = find(diags, path)
    assert diag.location is not None
    assert diag.location.file == str(spec)
    assert diag.location.line == locate(text, *where), diag.render()
    assert diag.location.column >= 1
    assert message in diag.message, diag.render()
    assert hint in diag.hint, diag.render()
    rendered = diag.render()
    assert rendered.startswith(f"{spec}:{diag.location.line}:")
    assert "Traceback" not in rendered


def test_cpu_memory_error_lists_the_memory_allowed(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web: {image: x:1, cpu: 1024, memory: 512}
        """)
    assert "cpu 1024 allows memory 2048..8192 in steps of 1024" in diags[0].render()


def test_every_problem_is_reported_at_once(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web:
            imgae: x:1
            port: 80
          api:
            image: x:1
            prot: 81
        """)
    keys = {d.location.key for d in diags if d.location}
    assert {"services.web.imgae", "services.api.prot"} <= keys


def test_the_file_must_be_a_mapping(input_errors: SPEC) -> None:
    spec, diags = input_errors("- just\n- a list\n")
    assert "must be a mapping" in diags[0].message
    assert diags[0].location is not None and diags[0].location.file == str(spec)


def test_an_empty_file_is_rejected(input_errors: SPEC) -> None:
    spec, diags = input_errors("# nothing here\n")
    assert "empty" in diags[0].message
    assert diags[0].location is not None and diags[0].location.file == str(spec)


def test_malformed_yaml_names_file_and_line(input_errors: SPEC) -> None:
    spec, diags = input_errors("name: demo\nservices:\n  web: {image: x\n  port: 3\n")
    [diag] = diags
    assert diag.location is not None
    assert (diag.location.file, diag.location.line) == (str(spec), 4)
    assert diag.message.startswith("malformed YAML")


def test_a_secret_value_is_never_echoed_back(input_errors: SPEC) -> None:
    marker = "MARKER-hunter2-7f3a"
    _, diags = input_errors(f"""
        name: demo
        services:
          web:
            image: x:1
            env:
              API_TOKEN: {marker}
        """)
    assert diags and all(marker not in d.render() for d in diags)


def test_plain_env_of_a_declared_secret_is_rejected_without_echoing_it(input_errors: SPEC) -> None:
    marker = "MARKER-declared-secret-2b7e"
    spec, diags = input_errors(f"""
        name: demo
        services:
          web:
            image: x:1
            env: {{JWT_SECRET: {marker}}}
            secrets: [JWT_SECRET]
        secrets:
          JWT_SECRET: {{generate: true}}
        """)
    diag = find(diags, ("services", "web", "env", "JWT_SECRET"))
    assert "both as plain env and as a secret" in diag.message
    assert all(marker not in d.render() for d in diags)


def test_vpc_cidr_octets_are_checked(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        network: {cidr: 10.300.0.0/16}
        services:
          web: {image: x:1}
        """)
    assert find(diags, ("network", "cidr"))


def test_secret_looking_sidecar_env_is_rejected(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web:
            image: x:1
            sidecars:
              agent:
                image: datadog/agent:7
                env: {DD_API_KEY: MARKER-sidecar-0c1d}
        """)
    assert "credential" in find(diags, ("services", "web", "sidecars", "agent", "env", "DD_API_KEY")).message


def test_password_in_url_is_rejected_even_next_to_a_reference(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web:
            image: x:1
            uses: [db]
            env:
              DATABASE_URL: "postgresql://app:MARKER-pw-9e21@{{ db.host }}:5432/app"
        databases:
          db: {}
        """)
    assert find(diags, ("services", "web", "env", "DATABASE_URL"))


def test_credential_name_with_literal_text_and_a_reference_is_rejected(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web:
            image: x:1
            uses: [db]
            env:
              DB_PASSWORD: "MARKER-pw-51aa{{ db.host }}"
        databases:
          db: {}
        """)
    assert find(diags, ("services", "web", "env", "DB_PASSWORD"))
