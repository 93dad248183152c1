"""`make mutate`: the compiler's existing tests against each of its mutants, once.

For each mutant of tests/mutants.py: which check of tests/test_compiler_mutants.py kills it
first (run here, in this process), and whether the compiler's existing tests (SUITE) kill it,
in a pytest run of their own with the mutant applied (`pytest -p mutants`, stopping at the
first failure). Prints a markdown table and the survivors; not part of `make test` (about
a quarter of an hour: a run of the suite per mutant).

    python tests/mutate.py [--out FILE] [mutant names...]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SUITE = ["tests/test_codegen.py", "tests/test_backends.py", "tests/test_registry.py",
         "tests/test_stages.py", "tests/test_wrong_numbers.py"]


def corpus_verdict(mutant, corpus, mutants):
    """How the corpus of test_compiler_mutants kills the mutant: 'check on backend: how'."""
    backends = [b for b in corpus.INSTALLED if b in mutant.backends]
    if not backends:
        return "not installed"
    if mutant.needs_threads > 1 and corpus._numba_threads() < mutant.needs_threads:
        return f"needs {mutant.needs_threads} numba threads"
    with pytest.MonkeyPatch.context() as patch:
        mutants.apply(mutant, patch)
        found = corpus.first_failure(mutant.rewrite, backends)
    if found is None:
        return "SURVIVED"
    check, backend, problem = found
    text = check.text if len(check.text) < 40 else check.text[:37] + "..."
    what = "structure" if check.structure else problem.split(":")[0]
    return f"`{text}`{' by ' + check.wrt if check.wrt else ''} on {backend}: {what}"


def suite_verdict(mutant, cache):
    """The first test of SUITE the mutant fails, or SURVIVED."""
    env = dict(os.environ, MATCALC_MUTANT=mutant.name, MATCALC_CACHE_DIR=cache,
               PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "mutants",
                          "-p", "no:cacheprovider", "-W", "ignore"] + SUITE,
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode == 0:
        return "SURVIVED"
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", run.stdout, re.MULTILINE)
    if failed:
        return "`" + failed.group(1).replace("tests/", "") + "`"
    return f"pytest exit {run.returncode}: " + run.stdout.strip().splitlines()[-1][:80]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--out", help="also write the table to this file")
    options = parser.parse_args()
    sys.path[:0] = [str(ROOT), str(TESTS)]
    import mutants
    import test_compiler_mutants as corpus
    if "jax" in corpus.INSTALLED:
        import jax
        jax.config.update("jax_enable_x64", True)
    np.seterr(all="ignore")
    chosen = [mutants.BY_NAME[n] for n in options.names] or mutants.MUTANTS
    lines = ["| mutant | rewrite | what it perturbs | first killed by the corpus | "
             "first killed by the existing suite |", "|---|---|---|---|---|"]
    survivors = {"corpus": [], "suite": []}
    start = time.time()
    with tempfile.TemporaryDirectory() as cache:
        for mutant in chosen:
            by_corpus = corpus_verdict(mutant, corpus, mutants)
            by_suite = suite_verdict(mutant, cache)
            for key, verdict in (("corpus", by_corpus), ("suite", by_suite)):
                if verdict == "SURVIVED":
                    survivors[key].append(mutant.name)
            kind = " (disabled)" if mutant.disabled else ""
            lines.append(f"| {mutant.name} | {mutant.rewrite}{kind} | {mutant.perturbs} | "
                         f"{by_corpus} | {by_suite} |")
            print(lines[-1], flush=True)
    summary = [f"{len(chosen)} mutants in {time.time() - start:.0f} s; "
               f"survived the corpus: {', '.join(survivors['corpus']) or 'none'}; "
               f"survived the existing suite: {', '.join(survivors['suite']) or 'none'}"]
    print("\n".join([""] + summary))
    if options.out:
        Path(options.out).write_text("\n".join(lines + [""] + summary) + "\n")
    return 1 if survivors["corpus"] else 0


if __name__ == "__main__":
    sys.exit(main())
