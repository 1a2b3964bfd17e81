"""Compile the evaluators with mypyc (optional: pure Python gives the same judgements, slower).

    .venv/bin/python -m evaluators._build [--force] [--dir DIR]

Writes ``build/evaluators-compiled/`` (git-ignored; nothing is written inside ``evaluators/``):

    manifest.json          source hash, Python version/ABI, the compiled files
    lib-<hash>/            evaluators_compiled__mypyc.cpython-311-….so (mypyc's shared runtime)
    lib-<hash>/evaluators/ text.cpython-311-….so, rules/base.cpython-311-….so, …
    work/                  a snapshot of the sources, the generated C, objects, build.log

A no-op when the manifest already matches the sources (``make install`` and ``make test``
run it). It compiles a snapshot of the sources, so the manifest describes exactly what was
compiled; edit a source afterwards and ``import evaluators`` uses pure Python until the next
build (see ``_accel.py``). Needs mypy (``pip install -e '.[test]'``) and a C compiler; exits
non-zero, saying why, when the build cannot be made.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from . import _accel

_SETUP = """
import json, sys
from setuptools import setup
from mypyc.build import mypycify
args = json.loads(sys.argv[1])
setup(
    name="evaluators-compiled",
    ext_modules=mypycify(args["paths"], opt_level="3", target_dir=args["c"], group_name=args["group"]),
    script_args=["build_ext", "--build-lib", args["lib"], "--build-temp", args["temp"]],
)
"""

_SMOKE = """
import evaluators
assert evaluators.COMPILED, evaluators.COMPILED_STATUS
evaluation = evaluators.evaluate("Customers get answers faster", ["Wait time falls from 9 to 3 minutes by June"])
assert evaluation.key_results[0].measurable, evaluation
"""


def _missing_toolchain() -> str | None:
    """Why a build cannot even start (checked at once, before half a minute of mypy and C compiler)."""
    try:
        import mypyc.build  # noqa: F401
    except ImportError:
        return "mypyc is not installed (pip install mypy, or pip install -e '.[test]')"
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    if not compiler or shutil.which(compiler[0]) is None:
        return f"no C compiler ({compiler[0] if compiler else 'CC'} not found)"
    include = sysconfig.get_paths().get("include", "")
    if not (Path(include) / "Python.h").is_file():
        return f"no Python headers ({include}/Python.h; install python3-dev)"
    return None


def build(directory: Path, force: bool = False) -> int:
    root, reason = _accel.check(directory)
    if root is not None and not force:
        print(f"compiled evaluators up to date: {directory}")
        return 0
    problem = _missing_toolchain()
    if problem:
        print(f"cannot compile the evaluators: {problem}", file=sys.stderr)
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        try:  # one build at a time per directory (two `make test` in one tree)
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock
            pass
        root, reason = _accel.check(directory)
        if root is not None and not force:  # built while we waited
            print(f"compiled evaluators up to date: {directory}")
            return 0
        return _build_locked(directory, reason)


def _build_locked(directory: Path, reason: str) -> int:
    print(f"compiling the evaluators with mypyc ({reason}) …", flush=True)
    started = time.monotonic()
    work = directory / "work"
    stage = work / "src" / "evaluators"
    shutil.rmtree(stage, ignore_errors=True)
    for path in _accel.source_files():  # a snapshot: what the manifest's hash describes
        target = stage / path.relative_to(_accel.PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    digest = _accel.source_hash(stage)
    assert digest is not None
    lib_name = f"lib-{digest[:16]}"
    new_lib = directory / f".{lib_name}.{os.getpid()}"
    shutil.rmtree(new_lib, ignore_errors=True)

    arguments = {
        "paths": [f"evaluators/{name}" for name in _accel.COMPILED_MODULES],
        "c": str((work / "c").resolve()),
        "temp": str((work / "temp").resolve()),
        "lib": str(new_lib.resolve()),
        "group": _accel.GROUP,
    }
    log = work / "build.log"
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run([sys.executable, "-c", _SETUP, json.dumps(arguments)],
                                cwd=stage.parent, stdout=output, stderr=subprocess.STDOUT)
    suffix = _accel.ext_suffix()
    files = [f"evaluators/{name.removesuffix('.py')}{suffix}" for name in _accel.COMPILED_MODULES]
    files.append(f"{_accel.RUNTIME}{suffix}")
    missing = [name for name in files if not (new_lib / name).is_file()]
    if result.returncode != 0 or missing:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        print(f"{tail}\nmypyc build failed (exit code {result.returncode}"
              f"{', no ' + missing[0] if missing else ''}); full log: {log}", file=sys.stderr)
        shutil.rmtree(new_lib, ignore_errors=True)
        return 1

    # Install: the new tree under its final name, then the manifest (atomically) pointing at
    # it. Old trees are deleted, never overwritten: a running process may have them mapped.
    final = directory / lib_name
    if final.exists():
        shutil.rmtree(final)
    new_lib.rename(final)
    manifest = {
        "format": _accel.FORMAT,
        "source_hash": digest,
        "python": _accel.python_tag(),
        "lib": lib_name,
        "files": files,
        "modules": _accel.module_names(),
        "mypy": _mypy_version(),
    }
    partial = directory / f".{_accel.MANIFEST}.{os.getpid()}"
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, directory / _accel.MANIFEST)
    for old in directory.glob("lib-*"):
        if old.name != lib_name:
            shutil.rmtree(old, ignore_errors=True)

    # The build is only kept if a fresh interpreter actually runs it.
    env = {k: v for k, v in os.environ.items() if k != _accel.PURE_ENV}
    env[_accel.DIR_ENV] = str(directory.resolve())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_accel.PACKAGE_DIR.parent), env.get("PYTHONPATH")]))
    smoke = subprocess.run([sys.executable, "-c", _SMOKE], env=env, capture_output=True, text=True)
    if smoke.returncode != 0:
        (directory / _accel.MANIFEST).unlink(missing_ok=True)
        print(f"{smoke.stderr.strip()}\nthe compiled evaluators did not run; removed the manifest "
              "(pure Python is used)", file=sys.stderr)
        return 1
    print(f"compiled evaluators built in {time.monotonic() - started:.0f} s: {final}")
    return 0


def _mypy_version() -> str:
    try:
        from mypy.version import __version__
    except ImportError:
        return "unknown"
    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluators._build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--dir", type=Path, default=None,
                        help=f"output directory (default: ${_accel.DIR_ENV} or {_accel.DEFAULT_DIR})")
    args = parser.parse_args(argv)
    return build(args.dir if args.dir is not None else _accel.compiled_dir(), force=args.force)


if __name__ == "__main__":
    raise SystemExit(main())
