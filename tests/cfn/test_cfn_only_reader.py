"""Cost, policy, the guide and deploy read templates only through :mod:`moorage.cfn`.

The rule, checked on the source of every module under ``src/moorage/{cost,policy,guide,deploy}``
(``src/moorage/cfn/`` is the reader and is not scanned): no expression that names a template may be
indexed by ``"Resources"`` or ``"Outputs"``. Three forms count as indexing:

- ``T["Resources"]`` / ``T["Outputs"]`` (a subscript),
- ``T.get("Resources", ...)`` / ``T.get("Outputs", ...)``,
- ``dig(T, "Resources", ...)`` / ``dig(T, "Outputs", ...)``,

where ``T`` "names a template" when any variable or attribute inside it is called ``tpl`` (or starts or ends
with ``tpl_`` / ``_tpl``) or contains ``template``: ``template``, ``res.template``, ``(old_template or {})``,
``tset.templates[stack]``, ``index.templates.get(stack)``. AWS API responses are not templates and stay
allowed: deploy reads ``s.get("Outputs")`` of ``describe_stacks``, whose receiver names no template. Read a
template's resources with ``moorage.cfn.resources_of`` / ``resources_of_type`` / ``resource`` /
``resource_bodies`` and its outputs with ``output_value`` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from moorage.cfn import output_value, resource, resource_bodies, resources_of, resources_of_type

SRC = Path(__file__).resolve().parents[2] / "src" / "moorage"
READERS = ("cost", "policy", "guide", "deploy")
SECTIONS = {"Resources", "Outputs"}


def _names_template(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if name is None:
            continue
        low = name.lower()
        if "template" in low or low == "tpl" or low.startswith("tpl_") or low.endswith("_tpl"):
            return True
    return False


def _section(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in SECTIONS


def violations(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: code`` of each place ``source`` indexes a template's Resources or Outputs itself."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        hit = False
        if isinstance(node, ast.Subscript):
            hit = _section(node.slice) and _names_template(node.value)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get":
                hit = _section(node.args[0]) and _names_template(func.value)
            elif (isinstance(func, ast.Name) and func.id == "dig") or (
                    isinstance(func, ast.Attribute) and func.attr == "dig"):
                hit = len(node.args) > 1 and _section(node.args[1]) and _names_template(node.args[0])
        if hit:
            found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {ast.unparse(node)}")
    return found


def _modules() -> list[Path]:
    return sorted(p for package in READERS for p in (SRC / package).rglob("*.py"))


def test_the_scan_covers_every_reader_package() -> None:
    for package in READERS:
        assert list((SRC / package).rglob("*.py")), f"no modules under src/moorage/{package}: the scan would be empty"


def test_no_reader_indexes_a_template_itself() -> None:
    found = [v for path in _modules()
             for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(SRC.parent.parent)))]
    assert not found, ("read templates through moorage.cfn (resources_of, resource, output_value ...), "
                       "not by indexing them:\n" + "\n".join(found))


@pytest.mark.parametrize("code", [
    'template.get("Resources", {})',
    '(old_template or {}).get("Resources", {})',
    'res.template.get("Resources") or {}',
    'template["Outputs"]',
    'tset.templates[stack]["Resources"]',
    'tpl.get("Outputs")',
    'dig(index.templates.get(stack), "Outputs", name, "Value")',
    'values.dig(new_tpl, "Resources", lid)',
])
def test_the_scan_catches_direct_indexing(code: str) -> None:
    assert len(violations(code)) == 1


@pytest.mark.parametrize("code", [
    's.get("Outputs", [])',  # describe_stacks' answer, not a template
    'cf.describe_stacks(StackName=n)["Stacks"][0].get("Outputs")',
    'resources_of(template)',
    'template.get("Parameters")',
    'path = ("Resources", res.id, "Metadata")',  # a location, not an index
])
def test_the_scan_allows_what_is_not_a_template_read(code: str) -> None:
    assert violations(code) == []


TEMPLATE = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}, "DeletionPolicy": "Retain"},
        "Broken": "not a mapping",
        "Bare": {"Type": "AWS::SNS::Topic"},
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": ["wrong shape"]},
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
}


def test_resources_of_skips_what_is_not_a_resource_and_keeps_template_order() -> None:
    found = list(resources_of(TEMPLATE))
    assert [r.lid for r in found] == ["Queue", "Bare", "Dlq"]
    assert found[0].type == "AWS::SQS::Queue" and found[0].props == {"FifoQueue": True}
    assert found[0].body["DeletionPolicy"] == "Retain"
    assert found[1].props == {} and found[2].props == {}
    assert list(resources_of(None)) == [] and list(resources_of({"Resources": []})) == []


def test_resource_lookups_and_outputs() -> None:
    assert [r.lid for r in resources_of_type(TEMPLATE, "AWS::SQS::Queue")] == ["Queue", "Dlq"]
    assert [r.lid for r in resources_of_type(TEMPLATE, "AWS::SNS::Topic", "AWS::SQS::Queue")] == ["Queue", "Bare",
                                                                                                  "Dlq"]
    found = resource(TEMPLATE, "Queue")
    assert found is not None and found.props["FifoQueue"] is True
    assert resource(TEMPLATE, "Broken") is None and resource(TEMPLATE, "Missing") is None
    assert set(resource_bodies(TEMPLATE)) == {"Queue", "Bare", "Dlq"}
    assert resource_bodies(None) == {}
    assert output_value(TEMPLATE, "QueueUrl") == {"Ref": "Queue"}
    assert output_value(TEMPLATE, "Nope") is None and output_value(None, "QueueUrl") is None
