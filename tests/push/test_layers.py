"""The push package's imports form layers: no circle between modules, nor between its wings.

A wing is a sub-package (push/delivery/, push/transports/, ...) seen from outside as one room;
a module of push/ is a room of its own. Every import counts, also one inside a function: an
import placed there to dodge a circle still ties the two rooms.
"""

import ast
from pathlib import Path

import push

PACKAGE = Path(push.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """{module: the push modules it imports}, for every module of push but its migrations."""
    modules = {
        module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found.update(target for target in targets if target in modules and target != name)
        graph[name] = found
    return graph


def room_of(module: str) -> str:
    """push.delivery.engine -> push.delivery (a wing); push.models -> push.models."""
    parts = module.split(".")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other_in_a_circle():
    assert circles(imports()) == []


def test_no_two_rooms_import_each_other_in_a_circle():
    rooms: dict[str, set[str]] = {}
    for module, targets in imports().items():
        # The package's face (push/__init__.py) hands names on lazily: not a room here.
        if module == "push":
            continue
        room = room_of(module)
        rooms.setdefault(room, set()).update(
            room_of(target) for target in targets if room_of(target) not in {room, "push"}
        )
    assert circles(rooms) == []


def test_the_bottom_imports_nothing_of_push():
    graph = imports()
    assert graph["push.errors"] == set()
    assert graph["push.tokens"] == set()


def test_transports_never_reach_into_delivery():
    graph = imports()
    transports = [module for module in graph if module.startswith("push.transports")]
    assert all(not t.startswith("push.delivery") for m in transports for t in graph[m])
