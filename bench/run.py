"""Run every benchmark and print Markdown for docs/benchmarks.md.

    make bench        (or .venv/bin/python bench/run.py)
"""

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import language  # noqa: E402


def main():
    print(f"Python {platform.python_version()}, {platform.machine()}, "
          f"{platform.processor() or 'cpu'}\n")
    print("## Language: parse and evaluate large sums\n")
    print(language.run())


if __name__ == "__main__":
    main()
