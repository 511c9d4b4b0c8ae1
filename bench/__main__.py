"""Benchmarks: `python -m bench [all|sending|pages|memory|flood] [options of that bench]`.

`all` (the default, what `make bench` runs) runs every benchmark in turn;
a benchmark that cannot run here says why and the others still run.
"""

import argparse
import sys

BENCHES = {
    "sending": "bench.sending",
    "pages": "bench.pages",
    "memory": "bench.memory",
    "flood": "bench.flood",
    "invalidation": "bench.invalidation",
    "newsday": "bench.newsday",
}


def run(name: str, argv: list[str]) -> int:
    from importlib import import_module

    print(f"== bench {name}", flush=True)  # noqa: T201
    try:
        import_module(BENCHES[name]).main(argv)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(f"bench {name} did not run: {exc.code}", flush=True)  # noqa: T201
            return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("bench", nargs="?", default="all", choices=["all", *BENCHES])
    args, rest = parser.parse_known_args()
    names = list(BENCHES) if args.bench == "all" else [args.bench]
    failures = sum(run(name, rest if args.bench != "all" else []) for name in names)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
