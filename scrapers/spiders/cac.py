"""Cyberspace Administration of China (国家互联网信息办公室, also 中央网信办 / 国家网信办), www.cac.gov.cn.

The columns to crawl and the page selectors live in cac.yaml. List and article parsing is
shared with the provincial spider in `scrapers.spiders.cac_common`. Penalty announcements
are prose press releases without a decision number, and app lists are posted as images,
which are archived as attachments.
"""

from __future__ import annotations

from scrapers.spiders.cac_common import CacArticleSpider


class CacSpider(CacArticleSpider):
    name = "cac"
