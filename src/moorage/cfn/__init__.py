"""The one reader of CloudFormation: template sets, their regions, and values resolved across stacks.

Pure: it knows templates and synth manifests, never the spec or the pipeline that wrote them, so cost,
policy, the guide and deploy read moorage's output and any template a user already has the same way.
A value that cannot be known without deploying is :data:`~moorage.cfn.values.UNKNOWN`.

- :mod:`moorage.cfn.read`: parse one template file and check its shape;
- :mod:`moorage.cfn.sections`: one template's resources and output values, read one way;
- :mod:`moorage.cfn.sets`: :class:`TemplateSet` (templates + manifest facts) from files, directories or memory;
- :mod:`moorage.cfn.values`: literals, the UNKNOWN sentinel, walking and digging;
- :mod:`moorage.cfn.index`: a set as a whole: resources across stacks, Ref/GetAtt/Sub/ImportValue followed.
"""

from moorage.cfn.index import Resource, SetIndex
from moorage.cfn.read import read_template, template_problems
from moorage.cfn.sections import (
                                  TemplateResource,
                                  output_value,
                                  parameter_source,
                                  resource,
                                  resource_bodies,
                                  resources_of,
                                  resources_of_type,
)
from moorage.cfn.sets import TemplateSet, file_template_sets, is_spec, manifest_near, stack_regions, template_set_of
from moorage.cfn.values import UNKNOWN

__all__ = ["UNKNOWN", "Resource", "SetIndex", "TemplateResource", "TemplateSet", "file_template_sets", "is_spec",
           "manifest_near", "output_value", "parameter_source", "read_template", "resource", "resource_bodies",
           "resources_of", "resources_of_type", "stack_regions", "template_problems", "template_set_of"]
