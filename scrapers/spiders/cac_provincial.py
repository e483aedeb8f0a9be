"""Provincial cyberspace offices (省委网信办 / 省互联网信息办公室) on their own sites.

Each office is one entry of `sites` in cac_provincial.yaml, with its province and any
selector that differs from cac.gov.cn. List and article parsing is shared with the national
spider in `scrapers.spiders.cac_common`. Offices also repost on cac.gov.cn, which the `cac`
spider reads.
"""

from __future__ import annotations

from scrapers.spiders.cac_common import CacArticleSpider


class CacProvincialSpider(CacArticleSpider):
    name = "cac_provincial"
    province_required = True
