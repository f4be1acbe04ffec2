"""Query languages and rule-file flavours beyond Prometheus PromQL: LogQL (Loki), the
MetricsQL dialect (VictoriaMetrics), and which flavour of rule file a document is."""
