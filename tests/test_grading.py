"""The graded assignments: questions inferred from the chapters, hidden tests, `make grade`."""

import csv
import importlib.util
import json

import numpy as np
import pytest
import scipy.linalg

from scripts import assignments, book_index, grade, notebooks

BOOK = book_index.Book()
QUESTIONS = [
    (doc, q)
    for doc in BOOK.chapters()
    for q in assignments.questions(notebooks.read(BOOK.chapter_path(doc)))
]

# Typical wrong answers, each of which must lose marks.
WRONG = {
    "ae-bernoulli-nll": """
def my_bernoulli_nll(x, logits):  # sigmoid, then log: overflows at logits of +-100
    p = 1 / (1 + np.exp(-logits))
    return -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2, 3))
""",
    "vae-reparameterize": """
def reparameterize(z_mean, z_log_var, noise):  # the variance instead of the standard deviation
    return z_mean + np.exp(z_log_var) * noise
""",
    "vae-kl-by-hand": """
def kl_to_prior(z_mean, z_log_var):  # summed over the batch as well
    return 0.5 * np.sum(z_mean**2 + np.exp(z_log_var) - z_log_var - 1.0)
""",
    "wae-mmd-by-hand": """
def my_mmd(x, y):  # the biased estimate: keeps the i == j terms
    d = x.shape[1]
    def gram(a, b):
        squared = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return sum(2 * d * s / (2 * d * s + squared) for s in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0))
    return gram(x, x).mean() + gram(y, y).mean() - 2 * gram(x, y).mean()
""",
    "comparison-frechet-by-hand": """
def my_frechet_distance(features_a, features_b):  # the covariances' product, not its square root
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * cov_a @ cov_b)
""",
    "imbalance-knn-weights": """
def my_knn_weights(codes, k, dimension):  # counts each code as its own nearest neighbour
    distances = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=-1))
    weights = np.sort(distances, axis=1)[:, k - 1] ** dimension
    return weights / weights.mean()
""",
}


def _hidden_tests(label):
    spec = importlib.util.spec_from_file_location(label, assignments.TESTS / f"{label}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from otter.test_files import test_case

    return [value for value in vars(module).values() if isinstance(value, test_case)]


def _score(label, code):
    """Runs the hidden tests of `label` here on the functions `code` defines: (points, possible)."""
    env = {"np": np, "scipy": scipy}
    try:
        exec(compile(code, label, "exec"), env)
    except NotImplementedError:
        pass
    points = possible = 0
    for case in _hidden_tests(label):
        possible += case.points
        try:
            with np.errstate(all="ignore"):  # a wrong answer may overflow: that is what is tested
                case.call_func(env)
            points += case.points
        except Exception:  # a failed assertion, or the student's function raising
            pass
    return points, possible


def test_every_chapter_question_is_found_and_has_hidden_tests():
    labels = [q["label"] for _, q in QUESTIONS]
    assert len(labels) == len(set(labels)) and set(WRONG) <= set(labels)
    assert [label for label in labels if not (assignments.TESTS / f"{label}.py").exists()] == []


def test_questions_are_inferred_from_stub_and_check():
    cells = [
        {
            "cell_type": "markdown",
            "source": [":::{exercise}\n:label: demo-square\nSquare it.\n:::"],
        },
        {
            "cell_type": "code",
            "id": "a",
            "source": ["def square(x):\n    raise NotImplementedError  # your code here"],
        },
        {"cell_type": "code", "id": "b", "source": ["aelib.exercises.check_square(square);"]},
        {
            "cell_type": "code",
            "id": "c",
            "source": ["def helper(x):\n    raise NotImplementedError"],
        },
        {
            "cell_type": "code",
            "id": "d",
            "source": ["helper(3)"],
        },  # no check_*: not a graded question
    ]
    found = assignments.questions({"cells": cells})
    assert [(q["label"], q["function"], q["stub_id"], q["check_id"]) for q in found] == [
        ("demo-square", "square", "a", "b")
    ]


@pytest.mark.parametrize("doc,question", QUESTIONS, ids=[q["label"] for _, q in QUESTIONS])
def test_reference_solution_gets_full_marks_and_the_stub_none(doc, question):
    source = notebooks.read(BOOK.chapter_path(doc))
    solution = assignments.reference_solution(source, question["exercise"], question["function"])
    points, possible = _score(question["label"], solution)
    assert possible > 0 and points == possible
    stub = next(c for c in source.cells if c.get("id") == question["stub_id"]).source
    assert _score(question["label"], stub)[0] == 0


@pytest.mark.parametrize("label", sorted(WRONG))
def test_typical_wrong_answers_lose_marks(label):
    points, possible = _score(label, WRONG[label])
    assert points < possible


def test_sigmoid_then_log_loses_the_marks_of_logits_of_100():
    points, possible = _score("ae-bernoulli-nll", WRONG["ae-bernoulli-nll"])
    assert possible - points >= 2  # the +-100 case is worth 2 of the question's points


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    return out, assignments.build_all(BOOK, out)


def test_student_notebooks_keep_stubs_and_checks_and_drop_solutions(built):
    out, found = built
    for stem, questions in found.items():
        student = json.loads((out / "student" / f"{stem}.ipynb").read_text())
        text = json.dumps(student)
        assert "otter" not in text and "<details>" not in text
        ids = {cell.get("id") for cell in student["cells"]}
        assert {q["stub_id"] for q in questions} | {q["check_id"] for q in questions} <= ids
        for question in questions:
            assert question["solution"].strip() not in text


def test_grade_writes_one_row_per_submission(built, tmp_path):
    out, found = built
    stems = [stem for stem, questions in found.items() if questions]
    reference, untouched = stems[1], stems[0]  # 02_vae solved, 01_autoencoder as handed out
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "ada.ipynb").write_text((out / "solutions" / f"{reference}.ipynb").read_text())
    (folder / "ben.ipynb").write_text((out / "student" / f"{untouched}.ipynb").read_text())
    wrong = json.loads((out / "student" / f"{untouched}.ipynb").read_text())
    stub_id = found[untouched][0]["stub_id"]
    for cell in wrong["cells"]:
        if cell.get("id") == stub_id:
            cell["source"] = WRONG["ae-bernoulli-nll"]
    (folder / "cleo.ipynb").write_text(json.dumps(wrong))
    for cell in wrong["cells"]:
        if cell.get("id") == stub_id:
            cell["source"] = "def my_bernoulli_nll(x, logits):\n    return 1 / 0\n"
    wrong["metadata"].pop(
        "aelib_edition"
    )  # renamed and stripped: recognised by the functions it defines
    (folder / "dan.ipynb").write_text(json.dumps(wrong))
    (folder / "eve.ipynb").write_text("this is a PDF, really")
    for cell in wrong["cells"]:
        if cell.get("id") == stub_id:
            cell["source"] = "def my_bernoulli_nll(x, logits):\n    while True:\n        pass\n"
    (folder / "fay").mkdir()  # an LMS download: one folder per student
    (folder / "fay" / "01_autoencoder.ipynb").write_text(json.dumps(wrong))
    rows = grade.grade_folder(folder, out, seconds=20)  # each of the others takes about 5 s
    table = {row["submission"]: row for row in csv.DictReader((folder / "grades.csv").open())}
    assert set(table) == {
        "ada.ipynb",
        "ben.ipynb",
        "cleo.ipynb",
        "dan.ipynb",
        "eve.ipynb",
        "fay/01_autoencoder.ipynb",
    }
    assert len(rows) == 6
    assert float(table["fay/01_autoencoder.ipynb"]["total"]) == 0
    assert grade.TIMEOUT_NOTE in table["fay/01_autoencoder.ipynb"]["note"]
    labels = [q["label"] for q in found[reference]]
    assert (
        list(table["ada.ipynb"])[:2] == ["submission", "chapter"] and "total" in table["ada.ipynb"]
    )
    assert float(table["ada.ipynb"]["total"]) == float(table["ada.ipynb"]["possible"]) > 0
    assert all(float(table["ada.ipynb"][label]) > 0 for label in labels)
    assert float(table["ben.ipynb"]["total"]) == 0 and "not done" in table["ben.ipynb"]["note"]
    assert 0 < float(table["cleo.ipynb"]["total"]) < float(table["cleo.ipynb"]["possible"])
    assert table["dan.ipynb"]["chapter"] == untouched
    assert (
        float(table["dan.ipynb"]["total"]) == 0
        and "ZeroDivisionError" in table["dan.ipynb"]["note"]
    )
    assert (
        float(table["eve.ipynb"]["total"]) == 0 and "not a notebook" in table["eve.ipynb"]["note"]
    )


def test_a_float64_loss_that_overflows_past_709_loses_marks():
    # log1p(exp(logits)) in float64 is finite at +-100 and passed every hidden test before
    # the +-1000 case; exp overflows past about 709.
    overflowing = """
def my_bernoulli_nll(x, logits):
    logits = logits.astype(np.float64)
    return (np.log1p(np.exp(logits)) - x * logits).sum(axis=(1, 2, 3))
"""
    points, possible = _score("ae-bernoulli-nll", overflowing)
    assert points < possible


def test_knn_weights_with_the_codes_width_for_the_dimension_lose_marks():
    width_for_dimension = """
def my_knn_weights(codes, k, dimension):  # ignores `dimension`
    distances = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=-1))
    np.fill_diagonal(distances, np.inf)
    weights = np.sort(distances, axis=1)[:, k - 1] ** codes.shape[1]
    return weights / weights.mean()
"""
    points, possible = _score("imbalance-knn-weights", width_for_dimension)
    assert points < possible
