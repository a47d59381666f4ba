"""Builds the assignments: a student notebook per chapter and the lecturer's grading material.

A *graded question* is inferred from the chapter, with no tag to remember: a code cell that
defines a function whose body raises `NotImplementedError` (the stub), followed by a code
cell that passes that function to a `check_*` function (the self-check). The question is
named after the exercise it belongs to (the last `:::{exercise}` label above the stub), and
its reference solution is the code in that exercise's solution that defines the same function.
Its hidden tests are `course/tests/<label>.py` (otter-grader's exception-based format); a
question without one is an error, so no chapter can gain an ungraded question unnoticed.

`python -m scripts.assignments` (`make assignments`) writes, under `_build/assignments/`:

- `student/NN_name.ipynb`: the student edition (scripts/editions.py: no solutions, stubs and
  self-checks kept, nothing from otter, so it runs in Colab as it is);
- `solutions/NN_name.ipynb`: the same with each stub replaced by its reference solution;
- `autograder/NN_name.zip`: otter-grader's autograder (the hidden tests), for `make grade`.
"""

import ast
import copy
import json
import pathlib
import re
import shutil

from scripts import gates, myst_markdown, notebooks
from scripts.book_index import ROOT, Book
from scripts.editions import build
from scripts.notebooks import python_source

OUT = ROOT / "_build" / "assignments"
TESTS = ROOT / "course" / "tests"


def stub_function(source):
    """The name of the function a cell defines whose body raises NotImplementedError, or None."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Raise) and inner.exc is not None:
                    target = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
                    if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                        return node.name
    return None


def checks(source, function):
    """True when the cell calls a `check_*` function with `function` as an argument."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.startswith("check_") and any(
                isinstance(a, ast.Name) and a.id == function for a in node.args
            ):
                return True
    return False


def exercise_labels(text, md=None):
    """The labels of the exercises a Markdown text defines, in order."""
    found = [myst_markdown.as_directive(token) for token in myst_markdown.walk(text, md)]
    return [
        d.options["label"].strip()
        for d in found
        if d and d.name == "exercise" and "label" in d.options
    ]


def questions(notebook, md=None):
    """A chapter's graded questions: dicts of label, exercise, function, stub_id, check_id."""
    found, label = [], None
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        text = notebooks.source(cell)
        if cell["cell_type"] == "markdown":
            label = ([label] + exercise_labels(text, md))[-1]
            continue
        function = stub_function(text) if cell["cell_type"] == "code" else None
        following = next((c for c in cells[index + 1 :] if c["cell_type"] == "code"), None)
        if function and following is not None and checks(notebooks.source(following), function):
            if label is None:
                raise ValueError(
                    f"The stub {function} comes before any exercise: "
                    "put it under its :::{exercise}."
                )
            name = label if label not in {q["label"] for q in found} else f"{label}-{function}"
            question = {"label": name, "exercise": label, "function": function}
            found.append({**question, "stub_id": cell.get("id"), "check_id": following.get("id")})
    return found


def reference_solution(notebook, exercise, function, md=None):
    """The code of `exercise`'s solution that defines `function` (```python block, gated cell)."""
    definition = re.compile(rf"^def {re.escape(function)}\(", re.M)
    for piece in gates.walk(notebook, exercise, md):
        if piece.kind == "code" and piece.gate == exercise and definition.search(piece.text):
            return piece.text
        if piece.kind != "markdown":
            continue
        for solution in myst_markdown.directives(piece.text, md):
            if solution.name == "solution" and solution.arg.strip() == exercise:
                for code in myst_markdown.code_blocks(
                    solution.body, ("python", "ipython", "ipython3"), md
                ):
                    if definition.search(code):
                        return code
    raise ValueError(
        f"The solution of exercise {exercise!r} has no code that defines {function}()."
    )


def setup_cells(notebook):
    """The cells a graded answer may rely on: only imports, the environment or the seed."""

    def allowed(node):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, ast.Try):
            handlers = [n for handler in node.handlers for n in handler.body]
            return all(allowed(n) for n in node.body + node.orelse + node.finalbody + handlers)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            return ast.unparse(node.value.func) in (
                "os.environ.setdefault",
                "keras.utils.set_random_seed",
            )
        return False

    kept = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(python_source(notebooks.source(cell)))
        except SyntaxError:
            continue
        if tree.body and all(allowed(node) for node in tree.body):
            kept.append(notebooks.source(cell))
    return kept


def chapter_assignment(book, docname):
    """The student notebook, the reference-solution notebook and the questions of one chapter."""
    source = notebooks.read(book.chapter_path(docname))
    found = questions(source, book.markdown)
    student = build(book.chapter_path(docname), book, solutions=False, edition="student")
    solved = copy.deepcopy(student)
    by_id = {cell.get("id"): cell for cell in solved["cells"]}
    for question in found:
        question["solution"] = reference_solution(
            source, question["exercise"], question["function"], book.markdown
        )
        by_id[question["stub_id"]]["source"] = question["solution"]
        by_id[question["stub_id"]]["outputs"] = []
    listed = [{k: q[k] for k in ("label", "function", "stub_id")} for q in found]
    for notebook in (student, solved):
        notebook["metadata"]["aelib_edition"]["questions"] = listed
    solved["metadata"]["aelib_edition"]["edition"] = "solutions"
    return student, solved, found


def missing_tests(found):
    return [q["label"] for q in found if not (TESTS / f"{q['label']}.py").exists()]


def autograder(found, output_path, work):
    """Writes otter-grader's autograder zip with the hidden tests of `found` (otter generate)."""
    from otter.generate import main as otter_generate

    tests = work / "tests"
    shutil.rmtree(work, ignore_errors=True)
    tests.mkdir(parents=True)
    for question in found:
        shutil.copy(TESTS / f"{question['label']}.py", tests / f"{question['label']}.py")
    config = work / "otter_config.json"
    config.write_text(json.dumps({"lang": "python", "print_summary": False, "show_hidden": True}))
    otter_generate(
        tests_dir=str(tests),
        output_path=str(output_path),
        config=str(config),
        no_requirements=True,
        no_environment=True,
    )


def build_all(book=None, out=OUT):
    """Writes the student notebooks, reference solutions and autograders; returns the questions."""
    book = book or Book()
    everything = {}
    for docname in book.chapters():
        student, solved, found = chapter_assignment(book, docname)
        missing = missing_tests(found)
        if missing:
            raise ValueError(
                f"{docname}: no hidden tests for {', '.join(missing)}: "
                "write course/tests/<label>.py "
                "for each (see course/README.md)."
            )
        stem = pathlib.PurePosixPath(docname).name
        for folder, notebook in (("student", student), ("solutions", solved)):
            (out / folder).mkdir(parents=True, exist_ok=True)
            (out / folder / f"{stem}.ipynb").write_text(notebooks.dumps(notebook))
        if found:
            (out / "autograder").mkdir(parents=True, exist_ok=True)
            autograder(found, out / "autograder" / f"{stem}.zip", out / "work" / stem)
        everything[stem] = found
    shutil.rmtree(out / "work", ignore_errors=True)
    return everything


if __name__ == "__main__":
    for stem, found in build_all().items():
        names = ", ".join(q["label"] for q in found) or "no graded question"
        print(f"{stem}: {names}")
    print(f"wrote {OUT.relative_to(ROOT)}/student, solutions, autograder")
