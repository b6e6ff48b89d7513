"""Compose short syntaxes: ports, volumes, durations, sizes, names."""

from __future__ import annotations

import pytest

from moorage.compose.syntax import (
    env_name,
    moorage_name,
    parse_bytes,
    parse_duration,
    parse_port,
    parse_volume,
    split_command,
)


@pytest.mark.parametrize(
    ("item", "target", "published", "ip", "proto"),
    [
        (3000, 3000, "", "", "tcp"),
        ("3000", 3000, "", "", "tcp"),
        ("8080:80", 80, "8080", "", "tcp"),
        ("127.0.0.1:8080:80", 80, "8080", "127.0.0.1", "tcp"),
        ("8000/tcp", 8000, "", "", "tcp"),
        (":8000/tcp", 8000, "", "", "tcp"),
        ("5000:5000/udp", 5000, "5000", "", "udp"),
        (":2283:2283", 2283, "2283", "", "tcp"),
        ("[::1]:6000:6000", 6000, "6000", "[::1]", "tcp"),
        ("9090-9091:8080-8081", 8080, "9090-9091", "", "tcp"),
        ({"target": 80, "published": 8080, "host_ip": "127.0.0.1"}, 80, "8080", "127.0.0.1", "tcp"),
        ({"target": "53", "protocol": "udp"}, 53, "", "", "udp"),
    ],
)
def test_ports(item: object, target: int, published: str, ip: str, proto: str) -> None:
    spec = parse_port(item)
    assert (spec.target, spec.published, spec.host_ip, spec.protocol) == (target, published, ip, proto)


def test_port_local_only_and_range() -> None:
    assert parse_port("127.0.0.1:5432:5432").local_only
    assert not parse_port("5432:5432").local_only
    assert parse_port("3000-3005:3000-3005").is_range


@pytest.mark.parametrize("item", ["abc", "70000", "80:http", {"published": 80}, True])
def test_bad_ports(item: object) -> None:
    with pytest.raises(ValueError):
        parse_port(item)


@pytest.mark.parametrize(
    ("item", "vtype", "source", "target", "ro"),
    [
        ("data:/var/lib/data", "volume", "data", "/var/lib/data", False),
        ("./conf/app.ini:/etc/app.ini:ro", "bind", "./conf/app.ini", "/etc/app.ini", True),
        ("/var/run/docker.sock:/var/run/docker.sock", "bind", "/var/run/docker.sock", "/var/run/docker.sock", False),
        ("/cache", "volume", "", "/cache", False),
        (":/data", "bind", "", "/data", False),
        ("./volumes/db:/var/lib/postgresql/data:Z", "bind", "./volumes/db", "/var/lib/postgresql/data", False),
        ("./x.yml:/x.yml:ro,z", "bind", "./x.yml", "/x.yml", True),
        ({"type": "bind", "source": "./a", "target": "/a", "read_only": True}, "bind", "./a", "/a", True),
        ({"type": "tmpfs", "target": "/tmp"}, "tmpfs", "", "/tmp", False),
    ],
)
def test_volumes(item: object, vtype: str, source: str, target: str, ro: bool) -> None:
    spec = parse_volume(item)
    assert (spec.type, spec.source, spec.target, spec.read_only) == (vtype, source, target, ro)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1m30s", 90), ("1m", 60), ("500ms", 0.5), ("1h", 3600), ("2h1m", 7260), ("10", 10), (5, 5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_duration_empty_and_bad() -> None:
    assert parse_duration("") is None
    assert parse_duration(None) is None
    with pytest.raises(ValueError):
        parse_duration("soon")
    with pytest.raises(ValueError):
        parse_duration("30x")


@pytest.mark.parametrize(
    ("text", "n"),
    [("512m", 512 * 1024**2), ("1g", 1024**3), ("1.5GB", int(1.5 * 1024**3)), ("256mb", 256 * 1024**2),
     ("128M", 128 * 1024**2), (1048576, 1048576), ("2048k", 2048 * 1024)],
)
def test_sizes(text: object, n: int) -> None:
    assert parse_bytes(text) == n


def test_bad_size() -> None:
    with pytest.raises(ValueError):
        parse_bytes("lots")


def test_commands_split_like_a_shell() -> None:
    assert split_command("bundle exec puma -C config/puma.rb") == ["bundle", "exec", "puma", "-C", "config/puma.rb"]
    assert split_command('sh -c "a && b"') == ["sh", "-c", "a && b"]
    assert split_command(["a", "b c"]) == ["a", "b c"]
    with pytest.raises(ValueError):
        split_command('sh -c "unclosed')


def test_names() -> None:
    assert moorage_name("plausible_db") == "plausible-db"
    assert moorage_name("Web.App") == "web-app"
    assert moorage_name("1st") == "s-1st"
    long = moorage_name("snuba-subscription-consumer-generic-metrics-counters")
    assert len(long) <= 40 and long.startswith("snuba-subscription")
    taken: set[str] = set()
    assert moorage_name("api", taken) == "api"
    assert moorage_name("api", taken) == "api-2"
    assert env_name("db-password") == "DB_PASSWORD"
    assert env_name("1key") == "_1KEY"
