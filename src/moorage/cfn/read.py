"""Reading one CloudFormation template file: parse it (short-form intrinsics included) and check its shape."""

from __future__ import annotations

import codecs
import json
import stat
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from moorage.data import load_data
from moorage.errors import Diagnostic, InputError, Location


def read_template(path: Path) -> dict[str, Any]:
    """Parse a JSON or YAML CloudFormation template (short-form intrinsics included)."""
    return dict(decoded_template(template_text(path), str(path)))


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))
_SAVE_AS_UTF8 = "save it as UTF-8 (PowerShell: `Out-File -Encoding utf8`; iconv -t UTF-8)"


def template_text(path: Path) -> str:
    """The text of a template file, as UTF-8 (a UTF-8 byte order mark is dropped).

    Raises :class:`InputError` (exit 2) naming the file for anything that is not a regular file (a FIFO,
    a device, a directory: refused before opening, so a FIFO cannot block) and for text that is not
    UTF-8: UTF-16/32 (what PowerShell's ``>`` writes), Latin-1 bytes, binary data.
    """
    file = str(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError([Diagnostic("error", f"cannot read template {file}: {exc.strerror or exc}", None,
                                     "give a CloudFormation template file (.yaml, .yml, .json, .template)")]) from exc
    if not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise InputError([Diagnostic("error", f"not a regular file ({what}): a template must be a file", Location(file),
                                     "give a CloudFormation template file, or a synth output directory")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Diagnostic("error", f"cannot read template {file}: {exc.strerror or exc}",
                                     Location(file), "check the file's permissions")]) from exc
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise InputError([Diagnostic("error", f"{name} text, not UTF-8", Location(file, 1),
                                         _SAVE_AS_UTF8)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        binary = b"\0" in data[:8192]
        what = "binary data, not a text template" if binary else "not UTF-8 text"
        raise InputError([Diagnostic(
            "error", f"{what} (byte 0x{data[exc.start]:02x} at offset {exc.start})", Location(file, line),
            "give a CloudFormation template (YAML or JSON text)" if binary else _SAVE_AS_UTF8)]) from exc
    if "\0" in text:
        raise InputError([Diagnostic("error", "NUL bytes: binary data, not a text template",
                                     Location(file, text.count("\n", 0, text.index("\0")) + 1),
                                     "give a CloudFormation template (YAML or JSON text)")])
    return text.removeprefix("\ufeff")


def decoded_template(text: str, file: str) -> Any:
    """One template's text as cfn-lint decodes it (mappings that remember their lines), its shape checked;
    raises :class:`InputError` naming ``file`` when it cannot be read as CloudFormation."""
    from cfnlint.decode import decode_str  # heavy (~0.6 s): only when a template is read

    template, matches = decode_str(text)
    if matches or not isinstance(template, dict):
        msg = (str(matches[0].message).split("\n")[0] if matches
               else "the file is empty: not a CloudFormation template" if template is None
               else f"the file holds {_kind(template)}, not a mapping of sections: not a CloudFormation template")
        line = matches[0].linenumber if matches else 0
        raise InputError([Diagnostic("error", f"cannot read template: {msg}", Location(file, int(line or 0)),
                                     read_error_hint(msg, text))])
    if not template and not any(row.strip() and not row.lstrip().startswith("#") for row in text.splitlines()):
        raise InputError([Diagnostic("error", "the file is empty: not a CloudFormation template", Location(file),
                                     read_error_hint("empty", text))])
    if "Resources" not in template:
        raise InputError([Diagnostic("error", "no Resources mapping: not a CloudFormation template", Location(file, 1),
                                     "a template lists its resources under `Resources:` (see the CloudFormation "
                                     "anatomy); a moorage spec is named moorage.yml")])
    problems = template_problems(template, file)
    if problems:
        raise InputError(problems)
    return template


def read_error_hint(message: str, text: str) -> str:
    """A hint that fits why a template could not be parsed (duplicate key, alias bomb, tag, syntax, shape)."""
    low = message.lower()
    if "duplicate" in low:
        return "each key may appear once per mapping: remove or rename the repeated key"
    if "aliases" in low or "nodes" in low:
        return "YAML aliases expand to too much data (an alias bomb?): write the values out, or use JSON"
    if "nesting depth" in low:
        return "the values nest too deeply for a template: flatten the structure"
    if "tag" in low and "constructor" in low:
        return ("only CloudFormation's short forms (!Ref, !Sub, !GetAtt, ...) are allowed as YAML tags; "
                "remove the tag")
    if "not a mapping" in low or "empty" in low:
        return "a template is a mapping of sections, at least `Resources:` (see the CloudFormation anatomy)"
    if text.lstrip().startswith(("{", "[")):
        return "fix the JSON syntax near this line (a stray or missing comma, quote or brace)"
    return "fix the YAML syntax near this line (indentation with spaces, not tabs; quoting; brackets)"


def template_from_body(body: str | Mapping[str, Any]) -> dict[str, Any]:
    """A template as CloudFormation returns it (``GetTemplate``'s body: JSON or YAML text, or parsed)."""
    if isinstance(body, str):
        try:
            parsed: dict[str, Any] = json.loads(body)
        except ValueError:
            import yaml

            parsed = yaml.safe_load(body)
        return parsed
    return dict(body)


def _line_of(node: Any) -> int:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


_SHAPES: dict[str, tuple[type, ...]] = {"string": (str,), "mapping": (dict,), "list": (list,)}


def template_problems(template: Any, file: str) -> list[Diagnostic]:
    """Located errors for a template CloudFormation would reject before looking at any property.

    Wrong shapes (a resource that is not a mapping, Properties as a list, Type missing), unknown
    ``Fn::`` functions and malformed Ref/GetAtt/Sub arguments. Duplicate keys are reported by the
    parser. Rules and linters can then read the template without tripping over it.
    """
    out: list[Diagnostic] = []

    def err(message: str, node: Any, path: tuple[str | int, ...], hint: str) -> None:
        out.append(Diagnostic("error", message, Location(file, _line_of(node), path=path), hint))

    if not isinstance(template, dict):
        err("a template must be a mapping of sections", template, (), "start with `Resources:`")
        return out
    sections = load_data("cloudformation")["sections"]
    for key, value in template.items():
        shape = sections.get(str(key))
        if shape is None:
            err(f"unknown top-level section {key!r}", key, (str(key),), f"sections: {', '.join(sections)}")
        elif shape in _SHAPES and not isinstance(value, _SHAPES[shape]):
            err(f"{key} must be a {shape}, not {_kind(value)}", value, (str(key),),
                "write each resource under `Resources:` by its logical id, e.g. `Resources: {Bucket: {Type: "
                "AWS::S3::Bucket}}` (see the CloudFormation anatomy)" if key == "Resources"
                else "see the CloudFormation anatomy")
    for section in ("Parameters", "Outputs", "Resources"):
        body = template.get(section)
        if not isinstance(body, dict):
            continue
        for name, item in body.items():
            where: tuple[str | int, ...] = (section, str(name))
            if not isinstance(item, dict):
                err(f"{section[:-1].lower()} {name} must be a mapping, not {_kind(item)}", item, where,
                    "indent its fields (Type, Properties, ...) under the name")
                continue
            if section == "Resources":
                _resource_problems(item, where, err)
            elif section == "Parameters" and not isinstance(item.get("Type"), str):
                err(f"parameter {name} has no Type", name, where, "e.g. `Type: String`")
            elif section == "Outputs" and "Value" not in item:
                err(f"output {name} has no Value", name, where, "add `Value:`")
    _intrinsic_problems(template, (), err)
    return out


def _kind(value: Any) -> str:
    """'a mapping', 'a list', 'a string' or the Python type's name, for messages."""
    for shape, name in ((dict, "a mapping"), (list, "a list"), (str, "a string")):
        if isinstance(value, shape):
            return name
    return "empty" if value is None else type(value).__name__


def _resource_problems(item: dict[str, Any], where: tuple[str | int, ...], err: Any) -> None:
    kind = item.get("Type")
    if not isinstance(kind, str) or not kind:
        err(f"resource {where[-1]} has no Type", item, (*where, "Type"), "e.g. `Type: AWS::S3::Bucket`")
    for key, shape in (("Properties", dict), ("Metadata", dict), ("Condition", str)):
        if key in item and item[key] is not None and not isinstance(item[key], shape):
            err(f"{key} of {where[-1]} must be {_kind(shape())}, not {_kind(item[key])}", item[key], (*where, key),
                f"write {key} as {_kind(shape())}")
    depends = item.get("DependsOn")
    if depends is not None and not isinstance(depends, str | list):
        err(f"DependsOn of {where[-1]} must be a logical id or a list of them", depends, (*where, "DependsOn"),
            "e.g. `DependsOn: [Bucket]`")


def _intrinsic_problems(node: Any, path: tuple[str | int, ...], err: Any) -> None:
    known = load_data("cloudformation")["intrinsic_functions"]
    if isinstance(node, list):
        for i, item in enumerate(node):
            _intrinsic_problems(item, (*path, i), err)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1:
        fn, arg = next(iter(node.items()))
        name = str(fn)
        at = fn if _line_of(fn) else node  # a short form (!GetAtt) leaves its line on the mapping, not the key
        if name.startswith("Fn::") and name not in known and not name.startswith("Fn::ForEach::"):
            close = get_close_matches(name, known, n=1, cutoff=0.8)
            err(f"unknown intrinsic function {name}", at, (*path, name),
                f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}")
            return
        shape = _argument_problem(name, arg)
        if shape:
            err(f"{name} {shape}", at, (*path, name), "see the intrinsic function reference")
            return
    for key, value in node.items():
        _intrinsic_problems(value, (*path, str(key)), err)


def _argument_problem(fn: str, arg: Any) -> str | None:
    """What is wrong with the argument of Ref, Fn::GetAtt, Fn::Sub, Fn::Join or Fn::Select (None: fine)."""
    if fn == "Ref" and not isinstance(arg, str):
        return f"takes a logical id or parameter name, not {_kind(arg)}"
    if fn == "Fn::GetAtt" and not ((isinstance(arg, str) and "." in arg)
                                   or (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str))):
        return "takes [LogicalId, Attribute] or \"LogicalId.Attribute\""
    if fn == "Fn::Sub" and not (isinstance(arg, str) or (isinstance(arg, list) and len(arg) == 2
                                                         and isinstance(arg[0], str) and isinstance(arg[1], dict))):
        return "takes a string, or [string, {Name: value}]"
    if fn == "Fn::Join" and not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
        return "takes [delimiter, [values]]"
    if fn == "Fn::Select" and not (isinstance(arg, list) and len(arg) == 2):
        return "takes [index, list]"
    return None
