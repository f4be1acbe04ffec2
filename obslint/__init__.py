"""obslint: a linter for observability-as-code (Grafana dashboards, Prometheus rules, Grafana alerting)."""

__version__ = "0.1.0"
