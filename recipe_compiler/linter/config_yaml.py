"""A config file's YAML read as ruamel.yaml's safe loader reads it, with PyYAML.

Configs have always been read by ruamel.yaml (`YAML(typ="safe")`: YAML 1.2's core
schema as ruamel implements it, so `off` is a string and `012` is 12), but its
import is 8 ms of every `recipe lint` start that finds a config, and lint has
PyYAML imported already. This is ruamel's implicit typing (its 1.2 resolvers and
its int and float constructors) on PyYAML's safe loader; a document with a
`%YAML` directive, which switches ruamel's version, is still read by ruamel.
tests/linter/test_config_yaml.py holds the two equal on generated documents.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml

_TAG = "tag:yaml.org,2002:"
# ruamel.yaml's resolver.py, its entries for YAML 1.2: (tag, pattern, first chars)
_RESOLVERS = [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "float",
        r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "int",
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?: ~ |null|Null|NULL | )$", ["~", "n", "N", ""]),
    (
        "timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        "0123456789",
    ),
    ("value", r"^(?:=)$", "="),
]


class _Loader(yaml.SafeLoader):
    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}


for _name, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_TAG + _name, re.compile(_pattern, re.X), _first)


def _sign(text: str) -> tuple[int, str]:
    sign = -1 if text[0] == "-" else 1
    return sign, text[1:] if text[0] in "+-" else text


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """ruamel's construct_yaml_int at YAML 1.2."""
    sign, text = _sign(str(loader.construct_scalar(node)).replace("_", ""))
    if text == "0":
        return 0
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text)


def _float(loader: _Loader, node: yaml.ScalarNode) -> float:
    """ruamel's construct_yaml_float at YAML 1.2."""
    sign, text = _sign(str(loader.construct_scalar(node)).replace("_", "").lower())
    if text == ".inf":
        return sign * float("inf")
    if text == ".nan":
        return float("nan")
    return sign * float(text)


_Loader.add_constructor(_TAG + "int", _int)
_Loader.add_constructor(_TAG + "float", _float)

Error = yaml.YAMLError


def load(text: str) -> Any:
    """The document's data; a YAMLError (PyYAML's or ruamel's) when it is not
    YAML, or holds a tag the safe loaders do not build."""
    if re.search(r"^%YAML", text, re.M):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            return YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise yaml.YAMLError(str(exc)) from None
    return yaml.load(text, Loader=_Loader)  # a SafeLoader
