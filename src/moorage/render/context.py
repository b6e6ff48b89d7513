"""A stack being rendered: its troposphere template, its inputs from other stacks, its outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from troposphere import AWSObject, Output, Parameter, Ref, Tags, Template

from moorage import __version__
from moorage.plan.model import Plan, StackPlan
from moorage.render.plain import plain


class UncappedTemplate(Template):
    """A Template without troposphere's own caps: moorage checks CloudFormation's limits itself, with a located
    error and a way out (plan.layout, render._check_limits), instead of a ValueError halfway through a stack."""

    def add_resource(self, resource: Any) -> Any:
        """Add a resource (no cap)."""
        return self._update(self.resources, resource)

    def add_output(self, output: Any) -> Any:
        """Add an output (no cap)."""
        return self._update(self.outputs, output)

    def add_parameter(self, parameter: Any) -> Any:
        """Add a parameter (no cap)."""
        return self._update(self.parameters, parameter)

    def to_dict(self) -> dict[str, Any]:
        """The template as plain data: troposphere's ``Template.to_dict`` (same keys, same order, same
        validation), each node encoded once."""
        t: dict[str, Any] = {}
        for key, value in (("Description", self.description), ("Metadata", self.metadata),
                           ("Conditions", self.conditions), ("Mappings", self.mappings),
                           ("Outputs", self.outputs), ("Parameters", self.parameters),
                           ("AWSTemplateFormatVersion", self.version), ("Transform", self.transform),
                           ("Rules", self.rules), ("Globals", self.globals)):
            if value:
                t[key] = value
        t["Resources"] = self.resources
        result: dict[str, Any] = plain(t)
        return result


@dataclass(frozen=True)
class StackInput:
    """A parameter of one stack filled from another stack's output at deploy time."""

    parameter: str
    stack: str
    output: str
    list_type: bool = False


@dataclass
class StackContext:
    """Helpers for one stack's template; records what it takes from which stack."""

    plan: Plan
    stack: StackPlan
    template: Template = field(default_factory=UncappedTemplate)
    inputs: dict[str, StackInput] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.template.set_version("2010-09-09")
        env = self.plan.env
        self.template.set_description(
            f"moorage {__version__}: {env.app} / {env.env} ({env.profile}) - {self.stack.purpose}")

    def add(self, resource: AWSObject) -> AWSObject:
        """Add a resource to the template."""
        self.template.add_resource(resource)
        return resource

    def take(self, stack: str, output: str, *, as_list: bool = False, parameter: str | None = None) -> Ref:
        """A Ref to a parameter filled from ``stack``'s ``output`` (named ``parameter`` if given)."""
        name = parameter or output
        if name not in self.inputs:
            self.inputs[name] = StackInput(name, stack, output, as_list)
            self.template.add_parameter(Parameter(
                name, Type="CommaDelimitedList" if as_list else "String",
                Description=f"from stack {stack}: output {output}"))
        return Ref(name)

    def give(self, name: str, value: Any, description: str = "") -> None:
        """Declare an output other stacks (and users) can read."""
        self.template.add_output(Output(name, Value=value, Description=description or name))

    def tag_dict(self, **extra: str) -> dict[str, str]:
        """The tags every resource carries, plus ``extra``, sorted."""
        return dict(sorted({**self.plan.env.tags, "moorage:version": __version__, **extra}.items()))

    def tags(self, **extra: str) -> Tags:
        """The tags as troposphere Tags."""
        return Tags(self.tag_dict(**extra))

    def name(self, *parts: str) -> str:
        """``app-env-part...``: the physical name prefix for this environment."""
        return "-".join((self.plan.prefix, *parts))
