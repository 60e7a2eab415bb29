"""The examples of README.md and docs/*.md: found, classified and run as written.

The conventions (which block is run how, what a comment below a command means) are those
of tests/docs/test_examples.py, whose docstring is their reference. This module does the
work: it parses the pages, builds a throwaway copy of the repository for each run, runs
the shell sessions, the doctest sessions and the test modules, and says what went wrong.

`python -m tests.support.doc_examples pycon PAGE` is the child process that runs one
page's interactive sessions with doctest, in a Django set up from the environment.
"""

import doctest
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASH_PATH = shutil.which("bash") or "/bin/bash"

# The URL the docs give for the running backend; a run replaces the port with a free one.
DOCS_SERVER = "127.0.0.1:8000"

PYCON = "pycon"
BASH = "bash"
SERVER = "server"
PYTEST = "pytest"
SAME_AS = "same as"
NOT_RUN = "not run"
UNCLASSIFIED = "unclassified"

# The README's two commands carry the markers .ci/run reads; they are not run here.
README_MARKERS = {
    "run-command": "the README's run command: it creates .venv and installs from the package "
    "index; the server it starts is what <!-- server --> blocks start",
    "test-command": "the README's test command: .ci/run runs it (it runs this test, too)",
}

# Environment variables of the test process that must not reach the examples.
_LEAKY = ("DJANGO_", "DATABASE_URL", "PUSH_", "CACHE_URL", "REDIS_URL", "CELERY_", "EXPO_")

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+)\s*(?P<info>[^`\s]*)\s*$")
_COMMENT = re.compile(r"^\s*<!--\s*(?P<text>.*?)\s*-->\s*$")
_ENVIRONMENT = "environment:"
_EXIT_STATUS = re.compile(r"^\(exit status (\d+)\)$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
MORE = "\u2026more"  # what a bare `...` in a shown JSON object or array stands for


@dataclass
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # the opening fence's line, 1-based
    language: str
    text: str
    marker: str | None  # the HTML comment on the line above the fence, without <!-- -->

    @property
    def where(self) -> str:
        return f"{page_name(self.page)}:{self.line}"

    @property
    def kind(self) -> str:
        marker = self.marker or ""
        if marker in README_MARKERS and self.page.name == "README.md":
            return NOT_RUN
        if marker.startswith("not run:") and marker[len("not run:") :].strip():
            return NOT_RUN
        if marker.startswith("same as:") and marker[len("same as:") :].strip():
            return SAME_AS
        if marker == "server" and self.language == "bash":
            return SERVER
        if marker == "pytest" and self.language == "python":
            return PYTEST
        if marker:
            return UNCLASSIFIED
        if self.language == "pycon":
            return PYCON
        if self.language == "bash":
            return BASH
        return UNCLASSIFIED

    @property
    def reason(self) -> str:
        """Why a block is not run (its marker's words)."""
        marker = self.marker or ""
        if marker in README_MARKERS:
            return README_MARKERS[marker]
        return marker[len("not run:") :].strip()

    @property
    def same_as(self) -> Path:
        return ROOT / (self.marker or "")[len("same as:") :].strip()


def page_name(page: Path) -> str:
    """README.md, or docs/NAME.md: a page's name in messages, wherever its copy lies."""
    return f"docs/{page.name}" if page.parent.name == "docs" else page.name


def pages() -> list[Path]:
    """README.md and every page of docs/, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """Return the fenced code blocks of `page`, with the marker above each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        marker = None
        above = _COMMENT.match(lines[index - 1]) if index else None
        if above and not above["text"].startswith(_ENVIRONMENT):
            marker = above["text"]
        text = "\n".join(body) + "\n"
        found.append(Block(page, index + 1, opening["info"], text, marker))
        index = end + 1
    return found


def environment(page: Path) -> dict[str, str]:
    """The variables of the page's `<!-- environment: NAME=value ... -->` lines."""
    variables: dict[str, str] = {}
    for line in page.read_text(encoding="utf-8").splitlines():
        comment = _COMMENT.match(line)
        if comment and comment["text"].startswith(_ENVIRONMENT):
            for word in shlex.split(comment["text"][len(_ENVIRONMENT) :]):
                name, _, value = word.partition("=")
                variables[name] = value
    return variables


# --- shell sessions -------------------------------------------------------------------------


@dataclass
class Command:
    """One command of a shell block, and what the comment lines below it say it prints."""

    line: int  # page line of its first line
    text: str
    shown: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        for line in self.shown:
            match = _EXIT_STATUS.match(line.strip())
            if match:
                return int(match[1])
        return 0

    @property
    def output(self) -> list[str]:
        """The shown output lines, the exit status left out."""
        return [line for line in self.shown if not _EXIT_STATUS.match(line.strip())]


def commands(block: Block) -> list[Command]:
    """Split a shell block into commands (continuation lines, quotes and heredocs joined)."""
    found: list[Command] = []
    current: list[str] = []
    start = 0
    quote: str | None = None
    heredoc: str | None = None
    last: Command | None = None  # the command whose output comments may follow
    for offset, line in enumerate(block.text.splitlines()):
        number = block.line + 1 + offset
        if heredoc is not None:
            current.append(line)
            if line.strip() == heredoc:
                heredoc = None
                last = _finish(found, current, start)
                current = []
            continue
        if not current:
            stripped = line.strip()
            if not stripped:
                last = None
                continue
            if stripped.startswith("#"):
                if last is not None:
                    text = stripped[1:]
                    last.shown.append(text[1:] if text.startswith(" ") else text)
                continue
            start = number
        current.append(line)
        quote, continued, heredoc = _scan(line, quote)
        if quote is None and heredoc is None and not continued:
            last = _finish(found, current, start)
            current = []
    if current:
        raise ValueError(f"{block.where}: a command is not closed (a quote or a backslash)")
    return found


def _finish(found: list[Command], lines: list[str], start: int) -> Command:
    command = Command(start, "\n".join(lines))
    found.append(command)
    return command


def _scan(line: str, quote: str | None) -> tuple[str | None, bool, str | None]:
    """Return the quote still open after `line`, whether it continues, and a heredoc's word."""
    index, heredoc = 0, None
    while index < len(line):
        char = line[index]
        if quote == "'":
            if char == "'":
                quote = None
        elif char == "\\":
            if index == len(line) - 1:
                return quote, True, heredoc
            index += 1
        elif quote == '"':
            if char == '"':
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            break
        elif char == "<" and line.startswith("<<", index):
            match = _HEREDOC.match(line, index)
            if match:
                heredoc = match[2]
                index = match.end() - 1
        index += 1
    return quote, False, heredoc


def shell_script(page_blocks: list[Block], out: Path, port: int) -> tuple[str, list[Command]]:
    """Return a bash script running the blocks' commands in order, and those commands.

    Each command's stdout, stderr and exit status go to `out`/N.out, N.err and N.rc; the
    script stops at the first command whose exit status is not the one shown (0 unless a
    comment says `(exit status N)`). A server block starts in the background and is waited
    for; the test kills its process group when the script ends.
    """
    lines = ["exec < /dev/null"]
    run: list[Command] = []
    for block in page_blocks:
        for command in commands(block):
            text = command.text.replace(DOCS_SERVER, f"127.0.0.1:{port}")
            if block.kind == SERVER:
                if not text.rstrip().endswith("runserver"):
                    raise ValueError(f"{block.where}: a server block ends with `runserver`")
                url = f"http://127.0.0.1:{port}/"
                lines += [
                    f"{{ {text} 127.0.0.1:{port} --noreload",
                    f'}} > "{out}/server.log" 2>&1 &',
                    "for _ in $(seq 150); do",
                    f'  curl -s -o /dev/null "{url}" && break; sleep 0.2',
                    "done",
                    f'curl -s -o /dev/null "{url}" || exit 101',
                ]
                continue
            number = len(run)
            run.append(command)
            lines += [
                f"# {page_name(block.page)}:{command.line}",
                f"{{ {text}",
                f'}} > "{out}/{number}.out" 2> "{out}/{number}.err"',
                f'echo $? > "{out}/{number}.rc"',
                f'[ "$(cat "{out}/{number}.rc")" = {command.exit_status} ] || exit 100',
            ]
    return "\n".join(lines) + "\n", run


def check_output(command: Command, stdout: str, stderr: str) -> list[str]:
    """Return what differs between the output a command's comments show and its real one."""
    shown = command.output
    if not shown:
        return []
    if shown[0].lstrip().startswith(("{", "[")):
        try:
            expected = parse_shown_json(" ".join(shown))
        except ValueError as error:
            return [f"the comment's JSON does not parse: {error}"]
        try:
            actual = json.loads(stdout)
        except ValueError:
            return [f"the output is not JSON: {stdout[:300]!r}"]
        return compare_json(expected, actual, "answer")
    actual_lines = [line.strip() for line in (stdout + "\n" + stderr).splitlines()]
    position = 0
    for pattern in shown:
        wanted = _wildcard(pattern.strip())
        while position < len(actual_lines) and not wanted.fullmatch(actual_lines[position]):
            position += 1
        if position == len(actual_lines):
            return [f"no line of the output matches {pattern.strip()!r} (in order)"]
        position += 1
    return []


def _wildcard(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("...")), re.DOTALL)


def parse_shown_json(text: str) -> Any:
    """Parse the JSON of a comment, where a bare `...` means "more members" or "more items",
    or, as a member's value, any value."""
    result: list[str] = []
    stack: list[str] = []
    in_string = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            result.append(char)
            if char == "\\":
                result.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            result.append(char)
        elif text.startswith("...", index):
            if not stack:
                raise ValueError("`...` outside an object or array")
            if "".join(result).rstrip().endswith(":"):
                result.append('"..."')  # a value: any value
            else:
                result.append(f'"{MORE}": true' if stack[-1] == "{" else f'"{MORE}"')
            index += 2
        else:
            if char in "{[":
                stack.append(char)
            elif char in "}]" and stack:
                stack.pop()
            result.append(char)
        index += 1
    return json.loads("".join(result))


def compare_json(shown: Any, actual: Any, where: str) -> list[str]:
    """The differences between shown JSON (with its `...`) and the real answer."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: an object was shown, the answer has {actual!r}"]
        more = shown.pop(MORE, False)
        problems = []
        for key, value in shown.items():
            if key not in actual:
                problems.append(f"{where}: no key {key!r} in {sorted(actual)}")
            else:
                problems += compare_json(value, actual[key], f"{where}.{key}")
        extra = sorted(set(actual) - set(shown))
        if extra and not more:
            problems.append(f"{where}: keys not shown (add `...`?): {extra}")
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{where}: an array was shown, the answer has {actual!r}"]
        more = bool(shown) and shown[-1] == MORE
        items = shown[:-1] if more else shown
        if len(actual) < len(items) or (not more and len(actual) != len(items)):
            return [f"{where}: {len(items)} item(s) shown, the answer has {len(actual)}"]
        problems = []
        for number, (item, real) in enumerate(zip(items, actual, strict=False)):
            problems += compare_json(item, real, f"{where}[{number}]")
        return problems
    if isinstance(shown, str) and "..." in shown:
        if shown == "..." or (isinstance(actual, str) and _wildcard(shown).fullmatch(actual)):
            return []
        return [f"{where}: {actual!r} does not match {shown!r}"]
    if shown != actual or isinstance(shown, bool) != isinstance(actual, bool):
        return [f"{where}: shown {shown!r}, the answer has {actual!r}"]
    return []


# --- a run's throwaway copy -----------------------------------------------------------------

_NOT_COPIED = {
    ".git",
    ".venv",
    "db.sqlite3",
    "test-db.sqlite3",
    "__pycache__",
    # Build output and the TypeScript example's packages: nothing a page's example reads.
    "node_modules",
    "build",
    "results",
}


def throwaway_copy(destination: Path, database: Path | None) -> Path:
    """Copy the repository to `destination` (with `.venv` pointing at this interpreter's).

    `database`, a migrated SQLite file, becomes the copy's db.sqlite3: the reference site's
    default database, in the copy, so the checkout itself is never written to.
    """
    shutil.copytree(
        ROOT,
        destination,
        ignore=lambda folder, names: [
            name
            for name in names
            if name in _NOT_COPIED or name.endswith((".sqlite3-wal", ".sqlite3-shm"))
        ],
    )
    (destination / ".venv").symlink_to(Path(sys.prefix))
    if database is not None:
        shutil.copyfile(database, destination / "db.sqlite3")
    return destination


def clean_environment(copy: Path, expo_url: str) -> dict[str, str]:
    """The environment of a run: this one without the suite's settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_LEAKY)}
    env.update(
        PYTHONPATH=str(copy),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        # Nothing leaves the machine: the Expo transport talks to the loopback server.
        EXPO_BASE_URL=expo_url,
        HOME=str(copy),  # no shell history, no user configuration
    )
    return env


def migrated_database(directory: Path) -> Path:
    """Return an SQLite file with every migration applied, to copy for each run."""
    copy = throwaway_copy(directory / "repository", None)
    env = clean_environment(copy, "http://127.0.0.1:9/--/api/v2/push")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    database = copy / "db.sqlite3"
    with sqlite3.connect(database) as connection:  # fold the WAL into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    template = directory / "migrated.sqlite3"
    shutil.copyfile(database, template)
    return template


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- running a page -------------------------------------------------------------------------


@dataclass
class Run:
    """What one kind of a page's blocks did when run: problems, and how many blocks ran."""

    blocks: int
    problems: list[str]
    log: str = ""


def run_page(page: Path, kind: str, directory: Path, database: Path, expo_url: str) -> Run:
    """Run the `kind` blocks of `page` (pycon, bash or pytest) in a copy under `directory`."""
    copy = throwaway_copy(directory / "repository", database)
    env = clean_environment(copy, expo_url)
    page_in_copy = copy / page.relative_to(ROOT)
    try:
        if kind == PYCON:
            return _run_pycon(page_in_copy, copy, env)
        if kind == BASH:
            return _run_bash(page_in_copy, copy, env, directory)
        if kind == PYTEST:
            return _run_pytest(page_in_copy, copy, env)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    raise ValueError(f"no runner for {kind}")


def _run_pycon(page: Path, copy: Path, env: dict[str, str]) -> Run:
    count = sum(block.kind == PYCON for block in blocks(page))
    env = {"DJANGO_SETTINGS_MODULE": "unitrade.settings", **env, **environment(page)}
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.doc_examples", PYCON, str(page)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    problems = [] if result.returncode == 0 else [result.stdout + result.stderr]
    return Run(count, problems)


def _run_bash(page: Path, copy: Path, env: dict[str, str], directory: Path) -> Run:
    page_blocks = [block for block in blocks(page) if block.kind in (BASH, SERVER)]
    out = directory / "outputs"
    out.mkdir()
    script, run = shell_script(page_blocks, out, free_port())
    (directory / "session.sh").write_text(script)
    process = subprocess.Popen(
        [BASH_PATH, str(directory / "session.sh")],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        session_output, _ = process.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        session_output = "(timed out after 180 s)"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the server, and anything left behind
        except ProcessLookupError:
            pass
        process.wait()
    problems: list[str] = []
    server_log = out / "server.log"
    if process.returncode == 101:
        log = server_log.read_text() if server_log.exists() else ""
        problems.append(f"{page_name(page)}: the server did not answer\n{log[-3000:]}")
    for number, command in enumerate(run):
        where = f"{page_name(page)}:{command.line}"
        rc_file = out / f"{number}.rc"
        if not rc_file.exists():
            break
        stdout = (out / f"{number}.out").read_text()
        stderr = (out / f"{number}.err").read_text()
        status = int(rc_file.read_text().strip())
        if status != command.exit_status:
            problems.append(
                f"{where}: exit status {status}, not {command.exit_status}\n$ {command.text}\n"
                f"--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}"
            )
            break
        for problem in check_output(command, stdout, stderr):
            problems.append(
                f"{where}: {problem}\n$ {command.text}\n--- stdout\n{stdout[-2000:]}\n"
                f"--- stderr\n{stderr[-2000:]}"
            )
    else:
        if process.returncode not in (0, None) and not problems:
            problems.append(f"{page_name(page)}: the session ended with {process.returncode}")
    if session_output.strip():
        problems.append(f"{page_name(page)}: the session printed\n{session_output[-2000:]}")
    return Run(len(page_blocks), problems)


# pytest-randomly, where installed, would shuffle the examples' tests: they run in page order.
PYTEST_OPTIONS = ("-p", "no:randomly")


def _run_pytest(page: Path, copy: Path, env: dict[str, str]) -> Run:
    page_blocks = [block for block in blocks(page) if block.kind == PYTEST]
    folder = copy / "doc_tests"
    folder.mkdir()
    files = []
    for block in page_blocks:
        path = folder / f"test_{page.stem}_{block.line}.py"
        path.write_text(block.text)
        files.append(str(path))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PYTEST_OPTIONS, *files],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    problems = [] if result.returncode == 0 else [result.stdout[-5000:] + result.stderr[-3000:]]
    return Run(len(page_blocks), problems)


# --- the child process of a page's interactive sessions -------------------------------------


def run_doctests(page: Path) -> int:
    """Run the page's pycon blocks in order, in one namespace; print failures; return them."""
    import django

    django.setup()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    for block in blocks(page):
        if block.kind != PYCON:
            continue
        test = parser.get_doctest(block.text, namespace, block.where, str(page), block.line)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)
    failed, _ = runner.summarize(verbose=False)
    return failed


if __name__ == "__main__":
    kind, page_path = sys.argv[1:3]
    if kind != PYCON:
        raise SystemExit(f"unknown kind {kind}")
    sys.exit(1 if run_doctests(Path(page_path)) else 0)
