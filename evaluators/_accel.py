"""The optional compiled accelerator: loads mypyc-compiled evaluator modules, never stale ones.

``python -m evaluators._build`` compiles the evaluator modules with mypyc into
``build/evaluators-compiled/`` (outside the source tree) and writes a manifest there: the
SHA-256 of every ``.py`` file of this package as compiled, and the Python it was built for.
``evaluators/__init__.py`` calls :func:`activate` before importing any submodule. When the
manifest matches the current sources and this Python, the compiled tree goes in front of
``evaluators.__path__`` (and of ``evaluators.rules.__path__``, see :func:`extend`), so the
import system finds ``text.cpython-311-….so`` before ``text.py``. The mypyc runtime that the
compiled modules share is a top-level extension module (``evaluators_compiled__mypyc``, a
stable name thanks to mypyc's ``group_name``) at the root of the build; it is loaded from its
file into ``sys.modules`` first, without touching ``sys.path``.

Anything else — no build, edited sources, another Python, ``REALISE_EVALUATORS_PURE=1``, or
a compiled module that fails to import — means pure Python, with identical judgements.
This module is never compiled (it decides whether compiled code may run).
"""

from __future__ import annotations

import importlib
import os
import sys
import sysconfig
from pathlib import Path

PURE_ENV = "REALISE_EVALUATORS_PURE"  # set (to anything but 0) to force pure Python
DIR_ENV = "REALISE_EVALUATORS_COMPILED_DIR"  # where the build lives, if not the default
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DIR = PACKAGE_DIR.parent / "build" / "evaluators-compiled"
MANIFEST = "manifest.json"
FORMAT = 1
# The modules mypyc compiles, relative to the package. The others stay Python: the package
# __init__ files, this loader, the build step, the docs generator, and model.py — compiled
# classes lose their field annotations (list[Finding] becomes list), which msgspec and
# Litestar read to encode, decode and describe (OpenAPI) the result Structs.
COMPILED_MODULES = (
    "config.py",
    "engine.py",
    "features.py",
    "foreign.py",
    "grammar.py",
    "language.py",
    "lexicon.py",
    "text.py",
    "rules/base.py",
    "rules/fluency.py",
    "rules/key_result.py",
    "rules/objective.py",
    "rules/safety.py",
    "rules/set_rules.py",
)
GROUP = "evaluators_compiled"  # mypyc group name: the shared runtime is the module RUNTIME
RUNTIME = GROUP + "__mypyc"

_active: Path | None = None  # the compiled package directory in use (…/lib-<hash>/evaluators)


def python_tag() -> str:
    """What the compiled modules are tied to: the exact interpreter version and its ABI."""
    return f"{sys.implementation.cache_tag} {sys.version.split()[0]} {sysconfig.get_config_var('EXT_SUFFIX')}"


def ext_suffix() -> str:
    return sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def source_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """Every .py file of the package: the compiled modules and the Python ones mypy
    type-checked them against. Editing any of them invalidates the build."""
    files = [
        path for path in package_dir.rglob("*.py")
        if "__pycache__" not in path.parts and not path.name.startswith(".")
    ]
    return sorted(files, key=lambda path: path.relative_to(package_dir).as_posix())


def source_hash(package_dir: Path = PACKAGE_DIR) -> str | None:
    """SHA-256 over the package's .py files (relative path and bytes); None if unreadable."""
    import hashlib  # here and below: imported only when there is a build to check (~10 ms)

    digest = hashlib.sha256()
    try:
        for path in source_files(package_dir):
            data = path.read_bytes()
            digest.update(f"{path.relative_to(package_dir).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def compiled_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR)


def module_names() -> list[str]:
    return ["evaluators." + name.removesuffix(".py").replace("/", ".") for name in COMPILED_MODULES]


def check(directory: Path | None = None) -> tuple[Path | None, str]:
    """The compiled package directory if the build there is usable, and why (not)."""
    directory = compiled_dir() if directory is None else directory
    if not (directory / MANIFEST).is_file():
        return None, f"no compiled build in {directory}"
    import json

    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no compiled build in {directory}"
    except (OSError, ValueError) as exc:
        return None, f"unreadable manifest {directory / MANIFEST}: {exc}"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None, "manifest of another format"
    if manifest.get("python") != python_tag():
        return None, f"built for {manifest.get('python')}, this is {python_tag()}"
    if manifest.get("source_hash") != source_hash():
        return None, "stale: the evaluator sources changed since the build (python -m evaluators._build)"
    lib = directory / str(manifest.get("lib", ""))
    files = manifest.get("files")
    if not manifest.get("lib") or not isinstance(files, list) or not files:
        return None, "manifest lists no compiled files"
    missing = [name for name in files if not (lib / name).is_file()]
    if missing:
        return None, f"incomplete build: {missing[0]} is missing"
    return lib / "evaluators", f"compiled ({lib})"


def activate(package_path: list[str]) -> tuple[bool, str]:
    """Put a valid compiled build in front of the package's ``__path__`` and import the
    compiled modules. Returns (compiled?, a one-line description)."""
    global _active
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return False, f"pure Python ({PURE_ENV} is set)"
    root, reason = check()
    if root is None:
        return False, f"pure Python ({reason})"
    import importlib.util
    import warnings

    _active = root
    package_path.insert(0, str(root))
    try:
        if RUNTIME not in sys.modules:
            spec = importlib.util.spec_from_file_location(RUNTIME, root.parent / (RUNTIME + ext_suffix()))
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {RUNTIME}")
            runtime = importlib.util.module_from_spec(spec)
            sys.modules[RUNTIME] = runtime
            spec.loader.exec_module(runtime)
        modules = [importlib.import_module(name) for name in module_names()]
        not_compiled = [m.__name__ for m in modules if not str(getattr(m, "__file__", "")).endswith(ext_suffix())]
        if not_compiled:
            raise ImportError(f"{not_compiled[0]} was imported from source")
    except Exception as exc:  # a broken build must never break the evaluators
        _deactivate(package_path)
        warnings.warn(f"compiled evaluators not used ({type(exc).__name__}: {exc}); using pure Python",
                      RuntimeWarning, stacklevel=2)
        return False, f"pure Python (the compiled modules failed to import: {exc})"
    return True, reason


def extend(package_path: list[str], package: str) -> None:
    """For a subpackage's ``__init__``: search its compiled directory first, if active."""
    if _active is not None:
        package_path.insert(0, str(_active.joinpath(*package.split(".")[1:])))


def _deactivate(package_path: list[str]) -> None:
    global _active
    root, _active = _active, None
    package_path[:] = [entry for entry in package_path if entry != str(root)]
    for name in [n for n in sys.modules if n == RUNTIME or (n.startswith("evaluators.") and n != __name__)]:
        del sys.modules[name]
