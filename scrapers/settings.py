"""Scrapy settings of the Enforcement Intel crawlers: polite by default.

Every value can be overridden per run with `eintel crawl --set NAME=VALUE`; the tests use
that to drop the delays against their local server. Defaults:

- one request at a time per host, at least DOWNLOAD_DELAY (1 s) apart, with AutoThrottle
  raising the delay when a site responds slowly;
- robots.txt obeyed;
- 5xx, 408, 429, timeouts and connection errors (DNS, refused) retried RETRY_TIMES times, waiting
  EINTEL_RETRY_BACKOFF_BASE * 2**attempt seconds (capped at EINTEL_RETRY_BACKOFF_MAX),
  or the server's Retry-After when it sends one;
- a User-Agent that names the tool.
"""

BOT_NAME = "enforcement-intel"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Deployments should append a contact address, e.g. with --set USER_AGENT=...
USER_AGENT = "Mozilla/5.0 (compatible; EnforcementIntel/0.1; public enforcement decisions research)"
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_TIMEOUT = 30

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
EINTEL_RETRY_BACKOFF_BASE = 2.0
EINTEL_RETRY_BACKOFF_MAX = 120.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {
    "scrapers.pipelines.ArchivePipeline": 300,
}

# Folder of the raw response archive; `eintel crawl` sets it from EINTEL_CRAWL_ARCHIVE.
EINTEL_CRAWL_ARCHIVE = "data/crawl"
# Refetch every list page and detail page, ignoring what the archive already holds.
EINTEL_FULL_CRAWL = False

# No console or code-execution endpoint listens on a port during a crawl.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# The eintel command line configures logging; Scrapy adds no handler of its own.
LOG_INSTALL_ROOT_HANDLER = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
