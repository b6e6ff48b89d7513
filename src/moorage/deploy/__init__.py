"""Deploy synthesized environments through CloudFormation change sets, on AWS or on the emulator.

The entry points: :func:`moorage.deploy.run.deploy` (also a diff with ``dry_run``),
:func:`moorage.deploy.destroy.destroy` and :func:`moorage.deploy.status.environment_status`;
:mod:`moorage.deploy.session` says where they go.
"""

from moorage.deploy.run import DeployOptions, DeployRefused, DeployResult, deploy

__all__ = ["DeployOptions", "DeployRefused", "DeployResult", "deploy"]
