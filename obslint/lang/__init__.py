"""Query languages and rule-file flavours beyond Prometheus PromQL: LogQL (Loki), the
MetricsQL dialect (VictoriaMetrics), and which flavour of rule file a document is."""


def grammar_cache():
    """Where lark keeps a grammar's compiled LALR tables between runs: True (lark's own
    file in the temporary directory, named by the grammar's hash, so a changed grammar is
    compiled anew), or False when OBSLINT_NO_GRAMMAR_CACHE is set. Compiling costs ~0.3 s
    per grammar; loading the tables ~10 ms."""
    import os
    import tempfile

    if os.environ.get("OBSLINT_NO_GRAMMAR_CACHE"):
        return False
    return os.access(tempfile.gettempdir(), os.W_OK)  # a read-only system: compile each run
