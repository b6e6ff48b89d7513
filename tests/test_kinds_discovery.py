"""A new kind touches only the files docs/architecture.md names: pricers, policy rule modules and emulator
adapters are found by walking their packages, and the resolved environment, the data-stack layout and the AWS
names read the registry (data/kinds.yaml)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import moorage.cost.components as components
import moorage.emulator.adapters as adapters
import moorage.policy.rules as rules
from moorage import kinds
from moorage.data import load_data
from moorage.emulator.adapters.base import ApiResource
from moorage.plan.layout import DATA_WEIGHTS
from moorage.plan.naming import item_name
from moorage.policy.checks import registered_checks

SRC = Path(kinds.__file__).parent


def _modules(package: object) -> list[str]:
    return [m.name for m in pkgutil.iter_modules(package.__path__)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(kinds.registry()))
def test_every_kind_has_a_discovered_pricer_and_policy_module(name: str) -> None:
    k = kinds.kind(name)
    assert k.cost in _modules(components), f"{name}: no cost/components/{k.cost}.py"
    own = importlib.import_module(f"moorage.cost.components.{k.cost}").PRICERS
    assert own and all(components.PRICERS[t] is fn for t, fn in own.items())
    assert k.policy in _modules(rules), f"{name}: no policy/rules/{k.policy}.py"
    module = f"moorage.policy.rules.{k.policy}"
    assert any(fn.__module__ == module for fn in registered_checks().values()), f"{module} registers no rule"
    assert DATA_WEIGHTS[k.home] == k.stack_weight and all(n >= 0 for n in k.stack_weight) and any(k.stack_weight)


def test_the_packages_init_files_name_no_module() -> None:
    """Adding cost/components/x.py, policy/rules/x.py or emulator/adapters/x.py needs no edit of __init__."""
    for package in (components, rules, adapters):
        text = Path(package.__file__).read_text()  # type: ignore[arg-type]
        named = [m for m in _modules(package) if m not in ("base",) and f" {m}" in text.replace(",", " ")]
        assert not named, f"{package.__name__}/__init__.py names {named}"


def test_discovery_finds_every_module_s_pricers_rules_and_adapters() -> None:
    for m in _modules(components):
        for t, fn in getattr(importlib.import_module(f"{components.__name__}.{m}"), "PRICERS", {}).items():
            assert components.PRICERS[t] is fn
    modules = {fn.__module__ for fn in registered_checks().values()}
    assert {f"{rules.__name__}.{m}" for m in _modules(rules)} - modules <= {f"{rules.__name__}.common"}
    for m in _modules(adapters):
        module = importlib.import_module(f"{adapters.__name__}.{m}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, ApiResource) and "TYPE" in vars(cls) \
                    and cls is not ApiResource:
                assert adapters.ADAPTERS[cls.TYPE] is cls, name
    assert "AWS::SQS::QueuePolicy" in adapters.ADAPTERS and "AWS::SQS::Queue" in components.PRICERS


def test_names_follow_the_kind_s_pattern() -> None:
    class Item:
        fifo = True

    class Plain:
        fifo = False

    assert item_name("queue", "shop-prod", "jobs", Plain()) == "shop-prod-jobs"
    assert item_name("queue", "shop-prod", "jobs", Item(), "dlq") == "shop-prod-jobs-dlq.fifo"
    long = item_name("queue", "shop-prod", "j" * 100, Item())
    assert len(long) == 80 and long.endswith(".fifo")
    assert len(item_name("queue", "shop-prod", "j" * 100, Plain())) == 80


def test_the_environment_carries_the_kinds_it_does_not_resolve(tmp_path: Path) -> None:
    from moorage import api

    (tmp_path / "moorage.yml").write_text(
        "name: shop\nregion: eu-west-1\nservices:\n  worker:\n    image: ghcr.io/acme/worker:1.0.0\n"
        "    uses: [jobs]\nqueues:\n  jobs: {}\nenvironments:\n  prod: {}\n")
    plan = api.plan_environment(api.load_app(tmp_path / "moorage.yml"), "prod")
    env = plan.env
    assert set(env.blocks) == {k.block for k in kinds.registry().values()} - {
        "databases", "caches", "buckets", "user_pools"}
    assert env.blocks["queues"] is env.queues and set(env.queues) == {"jobs"}
    assert kinds.kind_of(env, "jobs") == "queue" and kinds.kind_of(env, "worker") == "service"
    assert plan.stack("data").purpose == kinds.data_stack_purpose()
    with pytest.raises(AttributeError):
        env.no_such_block  # noqa: B018


# docs/architecture.md, "A new kind of resource": the files that hold a kind's own code (queues' here), and
# the ones the queue-depth scaling feature adds.
QUEUE_FILES = {"spec/models.py", "render/data.py", "cost/components/messaging.py", "policy/rules/sqs.py",
               "emulator/adapters/network.py", "spec/validate.py", "render/service.py"}


def test_queue_code_lives_only_in_the_documented_files() -> None:
    """Every other module reaches queues through the registry: no identifier of its code names a queue."""
    import tokenize

    found = set()
    for path in sorted(SRC.rglob("*.py")):
        with path.open("rb") as f:
            if any(t.type == tokenize.NAME and "queue" in t.string.lower() for t in tokenize.tokenize(f.readline)):
                found.add(path.relative_to(SRC).as_posix())
    assert found <= QUEUE_FILES, f"queue-specific code outside the documented files: {sorted(found - QUEUE_FILES)}"
    assert len(QUEUE_FILES) <= 8


def test_the_kinds_alarms_are_planned_from_the_registry(tmp_path: Path) -> None:
    from moorage import api

    (tmp_path / "moorage.yml").write_text(
        "name: shop\nregion: eu-west-1\nservices:\n  worker:\n    image: ghcr.io/acme/worker:1.0.0\n"
        "    uses: [jobs]\nqueues:\n  jobs: {fifo: true}\nenvironments:\n  prod: {}\n")
    thresholds = load_data("profiles")["alarm_thresholds"]
    alarms = {a.key: a for a in api.plan_environment(api.load_app(tmp_path / "moorage.yml"), "prod").alarms}
    for k in kinds.registry().values():
        for alarm in k.alarms:
            assert isinstance(alarm["threshold"], (int, float)) or alarm["threshold"] in thresholds
    assert alarms["QueueJobsDeadLetters"].dimensions == {"QueueName": "shop-prod-jobs-dlq.fifo"}
    assert alarms["QueueJobsDeadLetters"].threshold == 0 and alarms["QueueJobsDeadLetters"].periods == 1
    age = alarms["QueueJobsAge"]
    assert age.dimensions == {"QueueName": "shop-prod-jobs.fifo"} and age.metric == "ApproximateAgeOfOldestMessage"
    assert age.description == f"queue jobs: oldest message waiting more than {age.threshold:g} s"
