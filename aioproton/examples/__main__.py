"""``python -m aioproton.examples NAME [ARGS...]``: run one example as its own script.

It runs exactly as ``python examples/NAME.py ARGS...`` does from a checkout (the
script's folder first on ``sys.path``, so it finds its ``_harness``). Without a name,
or with an unknown one, it lists the examples and exits 2.
"""

from __future__ import annotations

import runpy
import sys

from . import available, scripts_dir

USAGE = "usage: python -m aioproton.examples NAME [ARGS...]"


def main(argv: list[str]) -> int:
    """Run the example named by ``argv[0]`` with the rest of ``argv``; its exit status."""
    names = available()
    if not argv or argv[0] not in names:
        problem = f"no example named {argv[0]!r}" if argv else "name an example to run"
        print(f"{USAGE}\n{problem}; the examples: {', '.join(names)}", file=sys.stderr)
        return 2
    script = scripts_dir() / f"{argv[0]}.py"
    sys.argv = [str(script), *argv[1:]]
    sys.path.insert(0, str(script.parent))
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
