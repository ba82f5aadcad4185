"""The browse menus' order, set in the knowledge base (`knowledge/menus.yaml`).

A crew opening "Permits" wants the route first (the overview, who applies, the dossier,
the review, how long, how much), then the special cases, and the practical matters
(seasons, holidays, safety) apart; sorting by id put "after the shoot" first. Staff set
the order in `menus.yaml`, content like the articles: a menu is a list of article ids
and of other menus (`- menu: practical`), each shown as one button that opens it.

```yaml
permits:                      # opened by the main menu's "Permits" button
  items:
    - permit.overview
    - menu: practical
practical:
  title: {en: "Practical: seasons, holidays, safety", vi: ..., ...}   # its button
  items: [practical.seasons, practical.holidays, practical.safety]
```

The bot never loses an article to this file: without it, or for an article of a browsed
category that it does not list, the menu shows the article anyway (after the listed
ones); `crewbot kb check` fails on both, and on an unknown id or menu, an article listed
twice, a menu no other opens, or one without a title in every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.services.knowledge import loader
from bot.services.knowledge.model import ALL_LANGUAGES, Article, Problem

FILE = "menus.yaml"
# The menu the main menu opens, and the categories it browses.
TOP = "permits"
CATEGORIES = ("permits", "visa", "customs", "incentives", "contact", "practical")
# `browse:` targets of their own, so never a menu's name.
RESERVED = frozenset({"locations", "vendors"})


@dataclass(frozen=True)
class Menu:
    """One menu: its button's title per language (none for the top menu) and its items
    in order, each an article id or `menu:NAME`."""

    name: str
    title: dict[str, str] = field(default_factory=dict)
    items: tuple[str, ...] = ()

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(item for item in self.items if not item.startswith("menu:"))

    @property
    def submenus(self) -> tuple[str, ...]:
        return tuple(item.removeprefix("menu:") for item in self.items
                     if item.startswith("menu:"))


@dataclass
class Menus:
    menus: dict[str, Menu] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # For problems found later (`check`): the file line of each key path.
    lines: dict[str, int] = field(default_factory=dict)
    path: str = FILE


def load(root: Path) -> Menus:
    """`root/menus.yaml`, every entry it can read; what it cannot read is a problem."""
    path = root / FILE
    result = Menus(path=f"{root.name}/{FILE}")
    if not path.is_file():
        return result
    try:
        node, data = loader._parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        mark = getattr(error, "problem_mark", None)
        result.problems.append(Problem(result.path, mark.line + 1 if mark else 1,
                                       f"unreadable: {error}"))
        return result
    if data is None:
        return result
    if node is None or not isinstance(data, dict):
        result.problems.append(Problem(result.path, 1, "expected one entry per menu"))
        return result
    result.lines = loader._lines(node)
    for name, entry in data.items():
        menu = _menu(str(name), entry, result)
        if menu is not None:
            result.menus[menu.name] = menu
    return result


def _at(menus: Menus, key: str, message: str) -> Problem:
    """`message`, at the file line of the key path `key` (or of its nearest parent)."""
    line = 1
    while key:
        if key in menus.lines:
            line = menus.lines[key]
            break
        key = key.rpartition(".")[0]
    return Problem(menus.path, line, message)


def _problem(menus: Menus, key: str, message: str) -> None:
    menus.problems.append(_at(menus, key, message))


def _menu(name: str, entry: Any, menus: Menus) -> Menu | None:
    if name in RESERVED:
        _problem(menus, name, f"{name}: a menu of its own in the bot; choose another name")
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("items"), list):
        _problem(menus, name, f"{name}: expected items: (a list of article ids and "
                              "menu: NAME entries) and, but for permits, a title")
        return None
    items: list[str] = []
    for number, item in enumerate(entry["items"]):
        if isinstance(item, str) and item.strip():
            items.append(item.strip())
        elif isinstance(item, dict) and set(item) == {"menu"} and isinstance(item["menu"], str):
            items.append(f"menu:{item['menu'].strip()}")
        else:
            _problem(menus, f"{name}.items.{number}", f"{name}.items.{number}: expected an "
                                                      f"article id or menu: NAME, got {item!r}")
    title = entry.get("title") or {}
    if not isinstance(title, dict):
        _problem(menus, f"{name}.title", f"{name}.title: expected one per language")
        title = {}
    texts = {str(lang): str(text).strip() for lang, text in title.items()
             if isinstance(text, str) and text.strip()}
    return Menu(name, texts, tuple(items))


def check(menus: Menus, articles: dict[str, Article]) -> list[Problem]:
    """The file's problems, and those that need the articles: see the module's doc."""
    found = list(menus.problems)
    if not menus.menus and not (menus.lines or menus.problems):
        return found  # no file: the menus follow the categories
    by_name = menus.menus
    listed: dict[str, str] = {}
    for menu in by_name.values():
        for number, item in enumerate(menu.items):
            key = f"{menu.name}.items.{number}"
            if item.startswith("menu:"):
                sub = item.removeprefix("menu:")
                if sub not in by_name:
                    found.append(_at(menus, key, f"{menu.name}: no menu {sub!r}"))
            elif item not in articles:
                found.append(_at(menus, key, f"{menu.name}: no article {item!r}"))
            elif item in listed:
                found.append(_at(menus, key, f"{menu.name}: {item!r} is listed already "
                                             f"(in {listed[item]})"))
            else:
                listed[item] = menu.name
    if TOP not in by_name:
        found.append(Problem(menus.path, 1, f"no {TOP} menu (the main menu's Permits button)"))
    reached = reachable(by_name)
    for menu in by_name.values():
        if menu.name == TOP:
            continue
        if menu.name not in reached:
            found.append(_at(menus, menu.name, f"{menu.name}: no menu opens it (add "
                                               f"'- menu: {menu.name}' to one)"))
        missing = [lang for lang in ALL_LANGUAGES if lang not in menu.title]
        if missing:
            found.append(_at(menus, f"{menu.name}.title", f"{menu.name}.title: missing "
                                                          f"{', '.join(missing)} (its button)"))
    for article in sorted(articles.values(), key=lambda a: a.id):
        if article.category in CATEGORIES and article.id not in listed:
            found.append(Problem(menus.path, 1, f"{article.id} ({article.category}) is in no "
                                                "menu: add it where a crew would look for it"))
    return found


def reachable(menus: dict[str, Menu], start: str = TOP) -> set[str]:
    """The menus opened, directly or not, from `start` (itself excluded unless a loop)."""
    seen: set[str] = set()
    todo = list(menus[start].submenus) if start in menus else []
    while todo:
        name = todo.pop()
        if name in seen or name not in menus:
            continue
        seen.add(name)
        todo += menus[name].submenus
    return seen


def parent_of(menus: dict[str, Menu], name: str) -> str | None:
    """The first menu that opens `name`, for its Back button."""
    return next((menu.name for menu in menus.values() if name in menu.submenus), None)


def items(menus: dict[str, Menu], name: str, articles: list[Article]) -> list[str]:
    """What menu `name` shows, in order: its items that exist, then, in the top menu,
    every browsed article no menu lists (so a new article is never lost to the file)."""
    by_id = {article.id for article in articles}
    menu = menus.get(name)
    if menu is None:
        if name != TOP:
            return []
        return [a.id for category in CATEGORIES for a in articles if a.category == category]
    shown = [item for item in menu.items
             if item.removeprefix("menu:") in (menus if item.startswith("menu:") else by_id)]
    if name == TOP:
        listed = {article for m in menus.values() for article in m.articles}
        shown += [a.id for category in CATEGORIES for a in articles
                  if a.category == category and a.id not in listed]
    return shown
