"""Every example of README.md and docs/*.md runs as written, or says why not.

The conventions of the pages' fenced code blocks
------------------------------------------------

What a block is, is decided by its language and by an HTML comment on the line right above
its opening fence (its *marker*):

* ```` ```pycon ```` (no marker): an interactive session of the reference site, as in
  `manage.py shell`. `>>> ` and `... ` lines are run with doctest and what follows them is
  what they print (doctest's ELLIPSIS and NORMALIZE_WHITESPACE: `...` stands for any text).
  All the sessions of a page run in one Python process, in page order, in one namespace.
* ```` ```bash ```` (no marker): shell commands, run from the repository's root. All the
  bash blocks of a page run in one bash session, in page order, so a variable set in one
  block (`TOKEN=...`) is there in the next. Each command must exit with status 0, unless a
  comment below it says `# (exit status N)`.
  Comment lines right below a command (no blank line between) show what it prints:
  - a comment starting with `{` or `[` is JSON, continued on the following comment lines:
    each key shown must be in the command's output (parsed as JSON) with the value shown;
    a bare `...` in an object or an array means "more members" or "more items", a bare
    `...` as a member's value matches any value (`"id": ...`), and `...` inside a string
    stands for any text (`"..."` matches any value). Without `...`, an object shows every
    key and an array every item.
  - any other comment lines are lines of its output (stdout, then stderr), in that order,
    each line matched whole (surrounding spaces ignored), `...` standing for any text.
  A comment after a blank line, or above a command, is just a comment.
* `<!-- server -->` above a ```` ```bash ```` block holding one command that ends with
  `runserver`: the backend the page's curl examples talk to. It is started in the
  background when the session reaches it, with `127.0.0.1:PORT --noreload` added, and the
  next commands wait until it answers; it is stopped when the session ends. PORT is a free
  port: every `127.0.0.1:8000` in the page's commands is replaced by it, so that two runs
  (or a developer's own server on 8000) never collide.
* `<!-- pytest -->` above a ```` ```python ```` block: a test module of a project using
  push (here the reference site's settings, with none of this repository's test fixtures:
  only the `push` pytest plugin). A page's modules run in one pytest, which must pass.
* `<!-- same as: PATH -->` above any block: the block is a verbatim excerpt (whole lines)
  of the file PATH of the repository, e.g. host_project/'s files, which .ci/run runs.
* `<!-- not run: REASON -->` above any block: not run, for the reason given (a crontab
  line, a Celery worker, settings of another project). A ```` ```python ```` block so marked
  must still parse.
* README.md's `<!-- run-command -->` and `<!-- test-command -->` (the markers .ci/run reads)
  mark the two setup commands, which are not run here: they install packages.

Any other block (another language, or an unknown marker) fails
`test_every_block_runs_or_says_why_not`.

A page may set environment variables for its interactive (pycon) sessions with a line
`<!-- environment: NAME=value ... -->` (not directly above a fence); the page's text says
the same (e.g. "start the shell with PUSH_DELIVERY=inline ..."). Shell sessions set theirs
with `export`, where the reader sees it.

Where the examples run
----------------------

Each page's pycon, bash and pytest blocks run in their own throwaway copy of the
repository (the checkout is never written to), whose `.venv` points at this interpreter's
virtualenv and whose `db.sqlite3`, the reference site's default database, is already
migrated (one migration for the whole run, copied). So the examples always run on SQLite,
also when the suite itself runs on PostgreSQL (DATABASE_URL is not passed on, nor the
suite's other DJANGO_*, PUSH_*, EXPO_*, CELERY_*, CACHE_URL and REDIS_URL variables).
EXPO_BASE_URL points at a loopback Expo server (tests.support.expo.ExpoServer), so nothing
leaves the machine; the pages that show outputs choose the console or locmem transport,
as a reader without a phone would. Pages run three at a time.
"""

import ast
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import doc_examples
from tests.support.doc_examples import (
    BASH,
    NOT_RUN,
    PYCON,
    PYTEST,
    ROOT,
    SAME_AS,
    SERVER,
    UNCLASSIFIED,
    Block,
    blocks,
    pages,
)
from tests.support.expo import ExpoServer

ALL_BLOCKS = [block for page in pages() for block in blocks(page)]
RUNS = [
    (page, kind)
    for page in pages()
    for kind in (PYCON, BASH, PYTEST)
    if any(block.kind == kind for block in blocks(page))
]
README_LINES = 250


def _run_id(run: tuple[Path, str]) -> str:
    page, kind = run
    return f"{doc_examples.page_name(page)}-{kind}"


@pytest.fixture(scope="module")
def page_runs(request, tmp_path_factory):
    """Start the selected pages' runs, three at a time; {(page, kind): Future[Run]}."""
    wanted = [
        item.callspec.params["run"]
        for item in request.session.items
        if item.module is request.module
        and hasattr(item, "callspec")
        and "run" in item.callspec.params
    ]
    with ExpoServer(rate_per_second=None) as expo, ThreadPoolExecutor(3) as pool:
        database = doc_examples.migrated_database(tmp_path_factory.mktemp("docs-database"))
        futures: dict[tuple[Path, str], Future] = {}
        for page, kind in wanted:
            directory = tmp_path_factory.mktemp(f"docs-{page.stem}-{kind}")
            futures[(page, kind)] = pool.submit(
                doc_examples.run_page, page, kind, directory, database, expo.url
            )
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("run", RUNS, ids=_run_id)
def test_the_examples_run_as_written(page_runs, run):
    result = page_runs[run].result(timeout=300)
    assert result.problems == [], "\n\n".join(result.problems)


def test_every_block_runs_or_says_why_not():
    unclassified = [
        f"{block.where}: ```{block.language} with marker {block.marker!r}"
        for block in ALL_BLOCKS
        if block.kind == UNCLASSIFIED
    ]
    assert unclassified == [], (
        "Blocks that are neither run nor marked <!-- not run: why -->:\n" + "\n".join(unclassified)
    )


def test_a_page_starts_its_server_before_it_needs_it():
    for page in pages():
        kinds = [block for block in blocks(page) if block.kind in (BASH, SERVER)]
        servers = [number for number, block in enumerate(kinds) if block.kind == SERVER]
        assert len(servers) <= 1, f"{page.name}: one server block a page"
        uses = [
            number
            for number, block in enumerate(kinds)
            if doc_examples.DOCS_SERVER in block.text and block.kind == BASH
        ]
        if uses:
            assert servers and servers[0] < uses[0], f"{page.name}: curl before the server"


@pytest.mark.parametrize(
    "block", [b for b in ALL_BLOCKS if b.kind == SAME_AS], ids=lambda block: block.where
)
def test_a_quoted_file_is_quoted_verbatim(block: Block):
    path = block.same_as
    assert path.is_file(), f"{block.where}: no file {path}"
    lines = path.read_text().splitlines()
    excerpt = block.text.splitlines()
    starts = [
        number
        for number in range(len(lines) - len(excerpt) + 1)
        if lines[number : number + len(excerpt)] == excerpt
    ]
    assert starts, f"{block.where}: not a verbatim excerpt of {path.relative_to(ROOT)}"


def test_python_that_is_not_run_still_parses():
    for block in ALL_BLOCKS:
        if block.language == "python" and block.kind in (NOT_RUN, SAME_AS):
            ast.parse(block.text, block.where)


def test_the_readme_is_a_front_page_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_LINES
    commands = {block.marker: block.text.strip() for block in blocks(ROOT / "README.md")}
    assert commands["run-command"] == (
        "python3.11 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && "
        ".venv/bin/python manage.py compiletranslations && "
        ".venv/bin/python manage.py migrate && .venv/bin/python manage.py runserver"
    )
    assert commands["test-command"] == (
        "python3.11 -m venv .venv && .venv/bin/pip install -q -r requirements-dev.txt && "
        ".venv/bin/python manage.py compiletranslations && .venv/bin/python -m pytest"
    )


LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", pages(), ids=doc_examples.page_name)
def test_the_pages_link_to_files_that_exist(page):
    missing = [
        target for target in LINK.findall(page.read_text()) if not (page.parent / target).exists()
    ]
    assert missing == [], f"{page.name} links to missing files: {missing}"
