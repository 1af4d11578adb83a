"""A site's state on its hosts: status snapshots (fetch, cache), sync against the repository,
workload health, the hosts' Kubernetes API, and the network overview."""
