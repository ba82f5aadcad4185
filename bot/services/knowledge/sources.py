"""Primary and secondary sources: which of an article's sources are the law itself.

A primary source is the text of a law, decree, circular or decision, or a page of the
authority that decides (a ministry, a province, the Official Gazette, UNESCO's World
Heritage Centre for a site's listing); everything else (news, a law firm's summary, a
blog) is secondary. An article that rests on secondary sources alone is the first to
re-check when the rules move, so `crewbot kb stats` lists them.

A source's own `type: primary|secondary` decides. Without one the address does, by the
rules below: a whole domain (any *.gov.vn site), or a domain and a path where the same
site hosts both law texts and news (thuvienphapluat.vn's /van-ban/ pages are law texts,
its /hoi-dap-phap-luat/ pages are answers to readers). A rule that misjudges a page is
overridden on that source with `type:`, not by a new exception here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlparse

from bot.services.knowledge.model import Source

# Domains whose every page is primary: the government's own sites (a domain or any of its
# subdomains; "baochinhphu.vn", the government's newspaper, is news, not "chinhphu.vn").
PRIMARY_DOMAINS = (
    "gov.vn",            # ministries, provinces, the public service portal, embassies
    "chinhphu.vn",       # the government portal, vanban.chinhphu.vn, congbao.chinhphu.vn
    "quochoi.vn",        # the National Assembly
    "vbpl.vn",           # the Ministry of Justice's national database of legal texts
    "whc.unesco.org",    # World Heritage listings and the Committee's decisions
    "wcoomd.org",        # the World Customs Organization (ATA carnet guarantee chains)
    "iana.org",          # the time zone database
)
# Sites with law texts and news side by side: (domain, pattern of a law text's path).
PRIMARY_PAGES = (
    ("thuvienphapluat.vn", re.compile(r"^/van-ban/")),
    ("thuviennhadat.vn", re.compile(r"^/van-ban-phap-luat-viet-nam/")),
    ("lawnet.vn", re.compile(r"^/vb/")),
    ("luatvietnam.vn", re.compile(r"-d\d+\.html$|-doc\d+\.html$")),
    ("vi.wikisource.org", re.compile(r"^/wiki/Trang:Cong_bao")),  # Official Gazette pages
)


def _host(url: str) -> str:
    host = (urlparse(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def is_primary(source: Source) -> bool:
    """Whether `source` is primary: its `type` if given, else its address (see above)."""
    if source.type:
        return source.type == "primary"
    host = _host(source.url)
    if any(_within(host, domain) for domain in PRIMARY_DOMAINS):
        return True
    path = urlparse(source.url).path
    return any(_within(host, domain) and pattern.search(path)
               for domain, pattern in PRIMARY_PAGES)


def count(sources: Iterable[Source]) -> tuple[int, int]:
    """(primary, secondary) among `sources`."""
    kinds = [is_primary(source) for source in sources]
    return sum(kinds), len(kinds) - sum(kinds)
