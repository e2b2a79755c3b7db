"""The REST API (django-ninja): personal access tokens, and operations over the same services and access layer
as the web pages (docs/api.md)."""
