# The two commands a newcomer needs: `make book` and `make test`.
# Both create the virtual environment in .venv on first use, and are quick
# when nothing has changed since.

VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
BOOK    := $(VENV)/bin/jupyter-book build . -W -n --keep-going --config _build/config.yml
# pytest exits 5 when it collects no tests (an empty folder); that is not a failure.
PYTEST  := sh -c '"$$0" -m pytest "$$@"; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc' $(PYTHON)
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: book test lint test-lib test-notebooks test-site execute bench sync-url clean editions assignments grade book-student test-colab

$(STAMP): requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

## Build the book strictly into _build/html. Chapters committed with outputs are
## rendered as they are; a chapter without outputs is executed (scripts/book_config.py).
book: $(STAMP)
	$(PYTHON) -m scripts.book_config _build/config.yml
	$(BOOK)

## Every test: the library on TensorFlow and JAX, the chapters in fast mode, the strict build,
## then the built site in a real browser, and the strict build of the student site (about 10 s).
test: lint test-lib test-notebooks book test-site book-student

## The style of scripts/, tests/, benchmarks/, book/_ext/ and aelib/: ruff (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-lib: $(STAMP)
	KERAS_BACKEND=tensorflow $(PYTEST) -q --ignore=tests/site tests
	KERAS_BACKEND=jax $(PYTEST) -q -m keras --ignore=tests/site tests

## The built book in headless Chromium (Debian's chromium), every page at 1280 px and
## 390 px: what a reader sees (tests/site/). Screenshots go to _build/screenshots/.
test-site: book
	$(PYTEST) -q -p no:cacheprovider tests/site

test-notebooks: $(STAMP)
ifeq ($(NOTEBOOKS),)
	@echo "No notebooks in notebooks/ yet: nothing to execute."
else
	AELIB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) -q --nbval-lax -p no:cacheprovider $(NOTEBOOKS)
endif

## The chapters as a Colab student gets them (tests/colab/run_colab.py): Colab's packages
## (colab/runtime.txt) in _build/colab-venv, an empty folder, aelib installed by each notebook's own
## first cell from a clone of HEAD, fast mode. COLAB_BACKEND=jax: on Colab's jax;
## COLAB_EDITION=colab or student: one edition only (default: both).
test-colab: $(STAMP)
	$(PYTHON) tests/colab/run_colab.py --backend $(or $(COLAB_BACKEND),tensorflow) --edition $(or $(COLAB_EDITION),both)

## Re-run every chapter with its full budget and save the outputs in place; then the run times
## on the Results page and in the instructors' table are rewritten from execute.json.
execute: $(STAMP)
	$(PYTHON) -m scripts.execute_notebooks $(NOTEBOOKS)
	$(PYTHON) benchmarks/run.py --report
	$(PYTHON) -m scripts.instructors_table

## Benchmarks: speed and quality per minute of compute (see benchmarks/README.md).
bench: $(STAMP)
	$(PYTHON) benchmarks/run.py

## After changing repository.url in _config.yml: rewrite the Colab badges and install cells
## (they open the Colab edition), then regenerate the Colab edition.
sync-url: $(STAMP)
	$(PYTHON) -m scripts.repository_url

## The course kit (book/instructors.md). After editing a chapter: regenerate the Colab edition
## (colab/notebooks, committed) and the instructors' table of run times.
editions: $(STAMP)
	$(PYTHON) -m scripts.editions
	$(PYTHON) -m scripts.instructors_table

## Student notebooks (no solutions) and the lecturer's autograders, in _build/assignments/.
assignments: $(STAMP)
	$(PYTHON) -m scripts.assignments

## Grade every notebook in a folder with otter-grader (no Docker): make grade SUBMISSIONS=DIR
grade: assignments
	@test -n "$(SUBMISSIONS)" || { echo "Usage: make grade SUBMISSIONS=DIR (a folder of submitted notebooks)"; exit 2; }
	$(PYTHON) -m scripts.grade "$(SUBMISSIONS)"

## The site without any solution, built as strictly as `make book`, into _build/student/_build/html.
book-student: $(STAMP)
	$(PYTHON) -m scripts.student_book
	$(VENV)/bin/jupyter-book build _build/student/src --path-output _build/student -W -n --keep-going

clean:
	rm -rf _build
