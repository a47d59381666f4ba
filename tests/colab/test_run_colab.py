"""What `make test-colab` counts as a failure (tests/colab/run_colab.py), on made-up cells."""

import importlib.util
import pathlib

import nbformat

_spec = importlib.util.spec_from_file_location(
    "run_colab", pathlib.Path(__file__).with_name("run_colab.py")
)
run_colab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_colab)

INSTALL = """import os

try:
    import aelib
except ImportError:  # on Colab
    %pip install -q "aelib @ git+https://github.com/someone/book"
    import aelib
"""


def cell(source="x = 1", outputs=()):
    code = nbformat.v4.new_code_cell(source)
    code.outputs = [nbformat.from_dict(o) for o in outputs]
    return code


def stream(name, text):
    return {"output_type": "stream", "name": name, "text": text}


def error(ename, *frames):
    return {"output_type": "error", "ename": ename, "evalue": "", "traceback": list(frames)}


def test_only_the_install_address_changes():
    notebook = nbformat.v4.new_notebook(
        cells=[cell("print('git+https://github.com/someone/book')"), cell(INSTALL)]
    )
    assert run_colab.point_install_at(notebook, "git+file://localhost/tmp/clone") == 1
    assert notebook.cells[1].source == INSTALL.replace(
        "git+https://github.com/someone/book", "git+file://localhost/tmp/clone"
    )
    assert notebook.cells[0].source == "print('git+https://github.com/someone/book')"


def test_a_notebook_without_its_install_cell_is_refused():
    notebook = nbformat.v4.new_notebook(cells=[cell("import aelib")])
    try:
        run_colab.point_install_at(notebook, "git+file://localhost/tmp/clone")
    except ValueError as raised:
        assert "install cell" in str(raised)
    else:
        raise AssertionError("no error for a notebook that never installs aelib")


def test_stderr_and_errors_are_problems_stdout_is_not():
    assert run_colab.problems_in(cell(outputs=[stream("stdout", "Epoch 1/2\n")]), 3) == []
    [problem] = run_colab.problems_in(
        cell(outputs=[stream("stderr", "I0000 cpu_feature_guard.cc:210] ...\n")]), 3
    )
    assert "stderr" in problem and "cpu_feature_guard" in problem
    [problem] = run_colab.problems_in(
        cell(outputs=[error("ValueError", "\x1b[0;31mValueError\x1b[0m: bad")]), 4
    )
    assert "ValueError" in problem and "\x1b" not in problem


def test_pip_complaints_in_the_install_cell_are_problems():
    red = (
        "\x1b[31mERROR: pip's dependency resolver does not currently take into account ...\x1b[0m\n"
    )
    assert run_colab.problems_in(cell(outputs=[stream("stdout", red)]), 2, install=True)
    assert not run_colab.problems_in(cell(outputs=[stream("stdout", red)]), 2, install=False)
    note = "Note: you may need to restart the kernel to use updated packages.\n"
    assert run_colab.problems_in(cell(outputs=[stream("stdout", note)]), 2, install=True) == []


def test_only_a_stub_may_raise_not_implemented():
    from_stub = error(
        "NotImplementedError", "/tmp/ipykernel_1/2.py in my_mmd(x, y)", "NotImplementedError: "
    )
    elsewhere = error(
        "NotImplementedError", "/usr/lib/keras/ops.py in call(self)", "NotImplementedError: "
    )
    assert run_colab.problems_in(cell(outputs=[from_stub]), 9, stubs=["my_mmd"]) == []
    assert run_colab.problems_in(cell(outputs=[elsewhere]), 9, stubs=["my_mmd"])
    assert run_colab.problems_in(
        cell(outputs=[error("TypeError", "in my_mmd(x, y)")]), 9, stubs=["my_mmd"]
    )


def test_an_install_that_moves_colab_packages_is_named(monkeypatch):
    url = "git+file://localhost/tmp/clone"
    monkeypatch.setattr(
        run_colab, "installed_from", lambda name: '{"url": "file://localhost/tmp/clone"}'
    )
    before = {"numpy": "numpy==2.1.3", "keras": "keras==3.13.2", "tensorflow": "tensorflow==2.20.0"}
    assert run_colab.compare_packages(before, {**before, "aelib": "aelib==0.1.0"}, url) == []
    after = {**before, "aelib": "aelib==0.1.0", "numpy": "numpy==2.4.6", "rich": "rich==14.0"}
    problems = run_colab.compare_packages(before, after, url)
    assert "the install changed numpy: numpy==2.1.3 -> numpy==2.4.6." in problems
    assert any("rich==14.0" in p for p in problems) and len(problems) == 2
    assert run_colab.compare_packages(before, before, url) == [
        "the install cell did not install aelib (`pip list` has no aelib afterwards)."
    ]
