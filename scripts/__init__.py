"""The tooling behind the book's editions, run from the repository's root as modules.

    python -m scripts.editions              # the Colab edition, colab/ (make editions)
    python -m scripts.instructors_table     # the table of book/instructors.md (make editions)
    python -m scripts.assignments           # student notebooks and autograders (make assignments)
    python -m scripts.grade DIR             # grade a folder of submissions (make grade)
    python -m scripts.student_book          # the source of the student site (make book-student)
    python -m scripts.book_config OUT       # the build's config (make book)
    python -m scripts.repository_url        # rewrite badges and install cells (make sync-url)
    python -m scripts.execute_notebooks NB  # run the chapters with their full budget (make execute)

What they share, each in one place:

- `notebooks`: reading and writing a notebook (nbformat), a cell's text, whether it ran;
- `book_index`: the book's settings (`_config.yml`, read once) and what the editions need to
  know about the whole book (chapters, numbers, labels, citations, addresses);
- `myst_markdown`: the MyST parser (markdown-it-py with MyST's plugins) and the converter to
  the plain Markdown that Colab renders;
- `gates`: the walk through a chapter's cells that knows which lie inside a gated solution.
"""
