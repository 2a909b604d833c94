"""A page's ES module and the modules it imports, joined into one file, so a browser fetches one script, not seven.

A fresh phone's page imported six modules in three waves (phone.js, then what it imports, then what those import):
three round trips on a slow network before the page could start, and seven requests for the server in a join storm.
The modules are our own and written one way (static/js): `import { a, b as c } from "./live.js";` at the top,
`export function` and `export class` for what they offer. Each module becomes a function that runs its body once
and returns what it exports, in the order the imports need them, so every module still runs once and keeps its
own names. Anything written otherwise (a cycle, `export let`, a default export, an import that is not a relative
file) raises NotBundled, and the page then loads the modules one by one, as it did before.
"""

import re
from collections.abc import Callable

# an import as static/js writes it; its names may run over several lines
_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"(\.\.?/[\w./-]+\.js)";?[ \t]*$', re.MULTILINE)
_ANY_IMPORT = re.compile(r"^\s*import\b|\bimport\s*\(|\bimport\.meta\b", re.MULTILINE)
_EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\s*\*?|class|const)\s*([A-Za-z_$][\w$]*)", re.MULTILINE)
_ANY_EXPORT = re.compile(r"^\s*export\b", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
# top-level await cannot run inside the function a module becomes
_TOP_LEVEL_AWAIT = re.compile(r"^await\b", re.MULTILINE)
# a line that is only a comment, or a /* */ comment of whole lines: a third of the phone's bundle, gzipped, and no
# use to a browser (the modules served one by one keep theirs, for reading); a "//" comment ends at a line separator
# (U+2028, U+2029) too, so a line holding one is kept
_COMMENT_LINES = re.compile(r"^[ \t]*(?://[^\n\u2028\u2029]*|/\*(?:[^*]|\*(?!/))*\*/[ \t]*)\n", re.MULTILINE)
# a template literal over several lines, or a string continued on the next (whatever the file's line ends): a "//"
# line there is text, not a comment
_OPEN_ON_LINE = re.compile(r"^(?:[^`\n]*`[^`\n]*`)*[^`\n]*`[^`\n]*$|\\\r?$", re.MULTILINE)


def without_comments(text: str) -> str:
    """A module's text without its whole-line comments, or as it is where a line may continue a string."""
    return text if _OPEN_ON_LINE.search(text) else _COMMENT_LINES.sub("", text)


class NotBundled(ValueError):
    """A module written in a way the bundle does not take: the page loads its modules one by one."""


def _joined(folder: str, relative: str) -> str:
    """A relative import's path from the folder of the module that imports it ("js", "./live.js" -> "js/live.js")."""
    parts = folder.split("/") if folder else []
    for part in relative.split("/"):
        if part == "..":
            if not parts:
                raise NotBundled(f"{relative} leaves the static folder")
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _bindings(names: str, module: str) -> str:
    """An import's names as a destructuring pattern: "a, b as c" -> "a, b: c"."""
    found = []
    for item in names.split(","):
        words = item.split()
        if not words:
            continue
        if len(words) == 1 and _NAME.fullmatch(words[0]):
            found.append(words[0])
        elif len(words) == 3 and words[1] == "as" and _NAME.fullmatch(words[0]) and _NAME.fullmatch(words[2]):
            found.append(f"{words[0]}: {words[2]}")
        else:
            raise NotBundled(f"{module}: cannot read the import of {item.strip()!r}")
    return ", ".join(found)


def _variable(path: str) -> str:
    """The name a bundled module's exports are kept under."""
    return "__module_" + re.sub(r"\W", "_", path.removesuffix(".js"))


def imports(path: str, text: str) -> list[str]:
    """The paths of the modules a module imports, in the static folder ("js/live.js")."""
    folder = path.rpartition("/")[0]
    return [_joined(folder, relative) for _, relative in _IMPORT.findall(text)]


def bundle(entry: str, read: Callable[[str], str]) -> str:
    """The entry module and everything it imports as one script; read(path) gives a module's text by its path in
    the static folder ("js/live.js")."""
    done: dict[str, str] = {}
    order: list[str] = []
    visiting: list[str] = []

    def add(path: str) -> None:
        if path in done:
            return
        if path in visiting:
            raise NotBundled(f"{' -> '.join([*visiting, path])}: modules that import each other")
        visiting.append(path)
        try:
            text = read(path)
        except (OSError, KeyError) as exc:
            raise NotBundled(f"{path} is imported but cannot be read") from exc
        folder = path.rpartition("/")[0]
        header = []
        for names, relative in _IMPORT.findall(text):
            imported = _joined(folder, relative)
            add(imported)
            header.append(f"const {{ {_bindings(names, path)} }} = {_variable(imported)};")
        body = without_comments(_IMPORT.sub("", text))
        if _ANY_IMPORT.search(body):
            raise NotBundled(f"{path}: an import written another way")
        if _TOP_LEVEL_AWAIT.search(body):
            raise NotBundled(f"{path}: await at the top level")
        exports = _EXPORT.findall(body)
        if len(_ANY_EXPORT.findall(body)) != len(exports):
            raise NotBundled(f"{path}: an export written another way (only function, class and const are taken)")
        body = re.sub(r"^export\s+", "", body, flags=re.MULTILINE)
        returned = f"return {{ {', '.join(exports)} }};" if exports else ""
        done[path] = "\n".join(
            [f"// {path}", f"const {_variable(path)} = (() => {{", *header, body.strip("\n"), returned, "})();"]
        )
        order.append(path)
        visiting.pop()

    add(entry)
    return "\n".join(done[path] for path in order) + "\n"
