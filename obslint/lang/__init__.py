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


_OPERATORS = {"ADD", "SUB", "MUL", "DIV", "MOD", "POW", "CMP_EQ", "NEQ", "GT", "GTE", "LT", "LTE", "AND", "OR",
              "UNLESS", "ATAN2", "IF", "IFNOT", "DEFAULT", "BOOL", "ON", "IGNORING", "GROUP_LEFT", "GROUP_RIGHT"}
_CLOSERS = ("RPAR", "RBRACE", "RBRACKET", "COMMA")


def expected_text(expected, names: dict, texts: dict) -> str:
    """"; expected `)` or `,`" from a parser's set of expected terminals: closing brackets
    first, binary operators as one "an operator", at most five items."""
    expected = set(expected or ())
    if not expected:
        return ""
    items = [f"`{texts[t]}`" for t in _CLOSERS if t in expected]
    rest = expected - set(_CLOSERS)
    operators = rest & _OPERATORS
    rest -= _OPERATORS
    items += sorted(names.get(t) or f"`{texts.get(t, t.lower())}`" for t in rest)
    if operators:
        items.append("an operator")
    if len(items) > 5:
        items = items[:4] + ["another token"]
    return "; expected " + (items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1])
