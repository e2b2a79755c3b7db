"""The web application's views, one module per page group. Every view is guarded by `pages.requires`
and reads area-bound data only through `jingzhun.access`."""
