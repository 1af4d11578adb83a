"""Validating a site's manifests before they are pushed: the linter and its rules."""
