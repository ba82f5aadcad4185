"""A copy on disk of the loaded articles and built indexes, so a large knowledge base
starts in seconds instead of minutes.

Reading 10,000 article files, checking their YAML headers and tokenising six languages of
text takes minutes; unpickling the result takes about a second. The copy is keyed by a
hash of every file the loader reads (and of this package's code, the Python and numpy
versions), so any edit, added or deleted file or code change makes it miss and the
knowledge base is built as without it. It is safe to delete at any time and never
required: a missing, unreadable, foreign or corrupt copy is rebuilt, and one that cannot
be written is skipped with a warning. Even the shipped base (39 articles in six languages,
with their crews' questions) starts about twice as fast from its copy (`crewbot ask`: 1.2 s
instead of 2.1 s); only a handful of articles (a test's) are built directly.

The copy is a pickle, so it is only read when it belongs to the user running the bot
and is not writable by others, like any cache the process trusts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.knowledge.index import LanguageIndex
from bot.services.knowledge.langdetect import LanguageDetector
from bot.services.knowledge.loader import BodyFile
from bot.services.knowledge.model import Article, Content, Problem, Vendor

log = logging.getLogger("crewbot.knowledge")

MIN_ARTICLES = 20
_MAGIC = b"crewbot knowledge cache 6\n"
_PACKAGE = Path(__file__).resolve().parent


def default_dir() -> Path:
    """$CREWBOT_CACHE_DIR, else the XDG cache folder (~/.cache/crewbot)."""
    configured = os.environ.get("CREWBOT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crewbot"


@dataclass
class Cached:
    content: Content
    indexes: dict[str, LanguageIndex]
    # Trained on the articles' own text at each start otherwise (about 0.4 s).
    detector: LanguageDetector | None = None


class KnowledgeCache:
    """The cached copy of one knowledge folder (one file per folder, replaced on change)."""

    def __init__(self, root: Path, directory: Path, unknown_weight: float) -> None:
        self.root = root.absolute()
        self.unknown_weight = unknown_weight
        name = hashlib.blake2b(str(self.root).encode(), digest_size=8).hexdigest()
        self.path = directory / f"knowledge-{name}.pickle"
        self._stamps: dict[str, tuple[int, int]] = {}

    @classmethod
    def for_root(cls, root: Path, directory: Path | None, unknown_weight: float
                 ) -> KnowledgeCache | None:
        """The cache for `root`, or None when it has fewer than MIN_ARTICLES articles."""
        articles = root / "articles"
        if not articles.is_dir():
            return None
        count = sum(1 for _ in articles.glob("*.md"))
        if count < MIN_ARTICLES:
            return None
        return cls(root, directory if directory is not None else default_dir(), unknown_weight)

    def _files(self) -> list[Path]:
        """Every file `loader.load` and `KnowledgeBase` read, in a fixed order."""
        files = sorted((self.root / "articles").glob("*.md"))
        files += sorted((self.root / "vendors").glob("*.yaml"))
        files += sorted((self.root / "replies").glob("*.yaml"))
        files += [path for path in (self.root / "required.yaml", self.root / "scope.yaml")
                  if path.is_file()]
        return files

    def key(self) -> str:
        """Hash of the content files, this package's code and the versions that shape the
        pickle; remembers each file's size and time for `read`."""
        digest = hashlib.sha256()
        for part in (_MAGIC, sys.version.encode(), np.__version__.encode(),
                     repr(self.unknown_weight).encode(), str(self.root).encode()):
            digest.update(part + b"\0")
        for source in sorted(_PACKAGE.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
        stamps: dict[str, tuple[int, int]] = {}
        for path in self._files():
            with open(path, "rb") as file:
                status = os.fstat(file.fileno())
                data = file.read()
            stamps[str(path)] = (status.st_size, status.st_mtime_ns)
            name = str(path.relative_to(self.root)).encode()
            digest.update(b"%s\0%d\0" % (name, len(data)))
            digest.update(data)
        self._stamps = stamps
        return digest.hexdigest()

    def _trusted(self, file: Any) -> bool:
        if not hasattr(os, "getuid"):
            return True
        status = os.fstat(file.fileno())
        return status.st_uid == os.getuid() and not status.st_mode & 0o022

    def read(self, key: str) -> Cached | None:
        """The cached articles and indexes if they were built from these very files."""
        try:
            with open(self.path, "rb") as file:
                if not self._trusted(file):
                    log.warning("knowledge cache ignored: not the user's own path=%s", self.path)
                    return None
                if file.readline() != _MAGIC or file.readline().strip() != key.encode():
                    log.debug("knowledge cache stale, rebuilding path=%s", self.path)
                    return None
                data = pickle.load(file)
            # The whole `Content` is kept, so that a field added to it is never left out
            # of the copy (the canned replies once were).
            content = data["content"]
            if not isinstance(content, Content):
                return None
            content.articles = {article_id: self._restamped(article)
                                for article_id, article in content.articles.items()}
            indexes = {language: LanguageIndex.from_arrays(*arrays)
                       for language, arrays in data["indexes"].items()}
            # Crew questions' profiles and sets worked out before the copy was made
            # (small bases).
            for language, profiles in (data.get("profiles") or {}).items():
                if language in indexes and isinstance(profiles, dict):
                    indexes[language].profiles = profiles
            for language, sets in (data.get("question_sets") or {}).items():
                if language in indexes and isinstance(sets, dict):
                    indexes[language].question_sets = sets
                    indexes[language].questions_seen = set(sets)
            detector = data.get("detector")
            if not isinstance(detector, LanguageDetector):
                detector = None
        except FileNotFoundError:
            return None
        except Exception as exc:  # any broken copy is rebuilt; it is never required
            log.warning("knowledge cache unreadable, rebuilding path=%s error=%r", self.path, exc)
            return None
        for item in (*content.articles.values(), *content.vendors, *content.problems):
            if not isinstance(item, Article | Vendor | Problem):
                return None
        log.debug("knowledge cache used path=%s articles=%d", self.path, len(content.articles))
        return Cached(content, indexes, detector)

    def _restamped(self, article: Article) -> Article:
        """The files are byte for byte those the copy was made from (the key says so),
        only perhaps touched since: take their current times, or every body read would
        split its file again."""
        body = article.body
        if isinstance(body, BodyFile) and body.path in self._stamps:
            return replace(article, body=body.restamped(self._stamps[body.path]))
        return article

    def write(self, key: str, content: Content, indexes: dict[str, LanguageIndex],
              detector: LanguageDetector | None = None) -> None:
        """Through a temporary file and a rename, so that a crash or a second process
        starting at the same time never leaves half a copy."""
        data = {
            "content": content,
            "indexes": {language: (index.size, index.unknown_weight, *index.arrays())
                        for language, index in indexes.items()},
            "profiles": {language: index.profiles for language, index in indexes.items()},
            "question_sets": {language: index.question_sets
                              for language, index in indexes.items()},
            "detector": detector,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".knowledge-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(_MAGIC + key.encode() + b"\n")
                    pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except (OSError, pickle.PicklingError) as exc:
            log.warning("knowledge cache not written path=%s error=%s", self.path, exc)
            return
        log.debug("knowledge cache written path=%s articles=%d", self.path,
                  len(content.articles))
