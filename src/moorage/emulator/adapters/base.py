"""The base of every adapter: a moto CloudFormation model backed by the emulator's AWS API."""

from __future__ import annotations

from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from moorage.emulator import runtime


class ApiResource(CloudFormationModel):
    """A resource created through the emulator's own API.

    Subclasses set ``TYPE``, ``SERVICE`` (boto3 client name) and implement :meth:`create` (returning
    the physical id and the ``Fn::GetAtt`` attributes) and :meth:`remove`. Updates replace the
    resource unless a subclass implements :meth:`modify`.
    """

    TYPE: ClassVar[str] = "Moorage::Emulator::Base"
    SERVICE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""
    #: For types whose create call is an idempotent put: the properties that identify the resource.
    #: While they stay the same, an update puts the new properties again instead of replacing.
    PUT_KEYS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, physical_id: str, attributes: dict[str, Any], region: str, props: dict[str, Any],
                 name: str) -> None:
        self.physical_id = physical_id
        self.attributes = attributes
        self.region = region
        self.props = props
        self.name = name

    # moto's model interface -------------------------------------------------------------------
    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        """The CloudFormation type this adapter emulates."""
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        """The property that names the resource, if any."""
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        """Attributes are known only once created; accept any at validation time."""
        return True

    @property
    def physical_resource_id(self) -> str:
        """What ``Ref`` returns."""
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        """What ``Fn::GetAtt`` returns."""
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        """Adapters create synchronously."""
        return True

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> ApiResource:
        """Create the resource from its template JSON (intrinsics already resolved)."""
        props = dict(cloudformation_json.get("Properties") or {})
        client = runtime.client(cls.SERVICE, region_name)
        physical_id, attributes = cls.create(client, props, resource_name, region_name)
        return cls(physical_id, attributes, region_name, props, resource_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> ApiResource:
        """Update in place when the adapter can, otherwise replace."""
        props = dict(cloudformation_json.get("Properties") or {})
        if isinstance(original_resource, ApiResource) and original_resource.props == props:
            return original_resource
        client = runtime.client(cls.SERVICE, region_name)
        if isinstance(original_resource, ApiResource):
            updated = cls.modify(client, original_resource, props)
            if updated is not None:
                original_resource.attributes = updated
                original_resource.props = props
                return original_resource
            original_resource.remove(client)
        physical_id, attributes = cls.create(client, props, new_resource_name, region_name)
        return cls(physical_id, attributes, region_name, props, new_resource_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> None:
        """Unused: deletion goes through :meth:`delete` on the instance."""

    def delete(self, account_id: str, region_name: str) -> None:
        """Delete the resource (moto's engine calls this first)."""
        self.remove(runtime.client(self.SERVICE, region_name))

    # what subclasses implement ------------------------------------------------------------------
    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        """Create the resource; return its physical id and attributes."""
        raise NotImplementedError

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        """Update ``old`` in place and return its new attributes, or None to replace it."""
        if not cls.PUT_KEYS or changed(old, props, *cls.PUT_KEYS):
            return None
        cls.create(client, props, old.name, old.region)
        return old.attributes

    def remove(self, client: Any) -> None:
        """Delete the resource."""
        raise NotImplementedError


class NamedGroup(ApiResource):
    """A named group of settings (a subnet group, a parameter group): Ref is its lowercase name.

    Subclasses name the API: ``CREATE`` / ``DELETE`` (client methods), ``ID`` (the name argument),
    ``DESCRIPTION`` (API argument, CloudFormation property) and ``COPIED`` (API argument ->
    property). With ``APPLY`` (a client method) the group's ``Parameters`` are applied on create and
    on update, as long as the ``COPIED`` properties stay the same.
    """

    CREATE: ClassVar[str] = ""
    DELETE: ClassVar[str] = ""
    ID: ClassVar[str] = ""
    DESCRIPTION: ClassVar[tuple[str, str]] = ("Description", "Description")
    COPIED: ClassVar[dict[str, str]] = {}
    APPLY: ClassVar[str] = ""

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group = short_name(name, 255, lower=True)
        kwargs: dict[str, Any] = {cls.ID: group, cls.DESCRIPTION[0]: str(props.get(cls.DESCRIPTION[1], group)),
                                  "Tags": tags(props)}
        kwargs.update({api: props[cfn] for api, cfn in cls.COPIED.items() if cfn in props})
        getattr(client, cls.CREATE)(**kwargs)
        cls._apply(client, group, props)
        return group, {}

    @classmethod
    def _apply(cls, client: Any, group: str, props: dict[str, Any]) -> None:
        params = [{"ParameterName": k, "ParameterValue": str(v), "ApplyMethod": "pending-reboot"}
                  for k, v in (props.get("Parameters") or {}).items()]
        if cls.APPLY and params:
            getattr(client, cls.APPLY)(**{cls.ID: group, "Parameters": params})

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if not cls.APPLY or changed(old, props, *cls.COPIED.values()):
            return None
        cls._apply(client, old.physical_id, props)
        return old.attributes

    def remove(self, client: Any) -> None:
        getattr(client, self.DELETE)(**{self.ID: self.physical_id})


def tags(props: dict[str, Any]) -> list[dict[str, str]]:
    """The CloudFormation ``Tags`` list of ``props`` (Key/Value pairs)."""
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in props.get("Tags", []) if isinstance(t, dict)]


def changed(old: ApiResource, props: dict[str, Any], *keys: str) -> bool:
    """True when any of ``keys`` differs between ``old``'s properties and ``props`` (create-only keys)."""
    return any(props.get(k) != old.props.get(k) for k in keys)


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``props`` without ``keys``."""
    return {k: v for k, v in props.items() if k not in keys}


def short_name(name: str, limit: int, lower: bool = False) -> str:
    """A generated physical name trimmed to a service's length limit."""
    out = name[:limit].rstrip("-")
    return out.lower() if lower else out
