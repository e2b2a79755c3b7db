"""The phone app (PWA) for helpers and work teams: pages under /m/, an offline outbox in the browser, and the
same API and services as everything else for every record."""
