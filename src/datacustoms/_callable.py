"""Packages you can call: ``datacustoms.protect(df, policy)`` while ``datacustoms.protect.pipeline``
stays a module path.

``datacustoms.protect`` and ``datacustoms.detect`` are subpackages, and Python's import system sets
a parent package's attribute to its subpackage whenever the subpackage is imported, so a function
of the same name on ``datacustoms`` would be replaced at the first internal import. Instead each
of the two packages is given this module type: it is still the package (``import
datacustoms.protect.pipeline``, ``from datacustoms.detect import builtin_registry`` and
``isinstance(datacustoms.protect, types.ModuleType)`` behave as before) and calling it calls one
function of :mod:`datacustoms.api`, imported on the first call. Type checkers see a module, which
cannot be called: typed code imports the functions from :mod:`datacustoms.api` instead.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any


class CallablePackage(ModuleType):
    """A package whose call forwards to ``__call_target__`` (``"module:function"``)."""

    __call_target__: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, _, name = self.__call_target__.partition(":")
        return getattr(import_module(module), name)(*args, **kwargs)


def make_callable(package: str, target: str) -> None:
    """Let ``package`` (already in ``sys.modules``) be called as ``target`` (``"module:function"``)."""
    module = sys.modules[package]
    module.__class__ = CallablePackage
    module.__call_target__ = target  # type: ignore[attr-defined]
