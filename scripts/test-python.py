#!/usr/bin/env python3
"""Checks the Glue job scripts: `npm run test:python`.

1. Byte-compiles every *.py under glue-scripts/ (the Glue entry script imports
   pyspark and awsglue, which are not installed here, so compiling is the only
   check it gets locally). Compiled files go to a temporary directory, never
   into the tree.
2. Runs the unittest suites under glue-scripts/tests with glue-scripts/pylib on
   sys.path, the way Glue puts the --extra-py-files zip on it.

Exits non-zero if any file fails to compile, no test is found, or a test fails.
Standard library only; run from anywhere with `python3 scripts/test-python.py`.
"""

import py_compile
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE_SCRIPTS = ROOT / "glue-scripts"
TESTS = GLUE_SCRIPTS / "tests"


def python_files():
    return sorted(
        path
        for path in GLUE_SCRIPTS.rglob("*.py")
        if "__pycache__" not in path.relative_to(GLUE_SCRIPTS).parts
    )


def compile_all(files):
    failures = []
    with tempfile.TemporaryDirectory(prefix="glue-scripts-pyc-") as out:
        for index, path in enumerate(files):
            try:
                py_compile.compile(
                    str(path), cfile=str(Path(out) / f"{index}.pyc"), doraise=True
                )
            except py_compile.PyCompileError as error:
                failures.append(error.msg)
    return failures


def main():
    files = python_files()
    if not files:
        print(f"no Python files found under {GLUE_SCRIPTS}", file=sys.stderr)
        return 1
    failures = compile_all(files)
    for message in failures:
        print(message, file=sys.stderr)
    print(
        f"py_compile: {len(files) - len(failures)}/{len(files)} file(s) compiled "
        f"under {GLUE_SCRIPTS.relative_to(ROOT)}/"
    )
    if failures:
        return 1

    # Importing the modules under test must not leave __pycache__ in the tree.
    sys.dont_write_bytecode = True
    # pylib/ reaches Glue as a zip through --extra-py-files, which puts it on sys.path.
    sys.path.insert(0, str(GLUE_SCRIPTS / "pylib"))
    suite = unittest.defaultTestLoader.discover(
        start_dir=str(TESTS), pattern="test*.py", top_level_dir=str(TESTS)
    )
    if suite.countTestCases() == 0:
        print(f"no tests found under {TESTS}", file=sys.stderr)
        return 1
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
