"""Writes the build's config: _config.yml, with the executed chapters excluded from execution.

MyST-NB's `auto` mode runs a notebook when any code cell lacks an output, and
a chapter always has silent cells (imports, definitions), so it would re-run
every chapter at every build. What the book wants is narrower: a chapter
committed with its outputs (every code cell has an execution count) is
rendered as it is; one committed without them is run at build time. This
script adds the first kind to `execute.exclude_patterns` and writes the result
to the path given (`make book` passes it to `jupyter-book build --config`).
The folders of `sphinx.local_extensions` are written as absolute paths, since
jupyter-book reads them relative to the config file.
"""

import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def executed(path):
    """True when every non-empty code cell of the notebook has been run."""
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    return all(c.get("execution_count") is not None for c in code)


def build_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config.setdefault("execute", {})
    done = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if executed(p)]
    execute["exclude_patterns"] = sorted(set(execute.get("exclude_patterns") or []) | set(done))
    # jupyter-book reads local extensions' folders relative to the config
    # file, which this script writes elsewhere (_build/): make them absolute.
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str((ROOT / folder).resolve())
    return config


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(build_config(), sort_keys=False))
