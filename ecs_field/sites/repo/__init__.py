"""The site's Git repository and what is in it: clone/fetch/log (gitrepo), manifests and their
safe YAML loading, HostConfiguration profiles, Kubernetes quantities."""
