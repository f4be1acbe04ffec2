"""lark lexer classes feeding obslint's own tokenizers to the LALR parsers. A module of its
own: it imports lark (only once a LogQL or MetricsQL query is met), and module-level
classes let lark keep the compiled tables between runs (obslint.lang.grammar_cache)."""
import logging

from lark import Token, logger
from lark.lexer import Lexer

# lark reports a cache file it cannot read or write through its logger, which would print a
# traceback on stderr; obslint then simply compiles the grammar.
logger.setLevel(logging.CRITICAL)


class LogqlLexer(Lexer):
    def __init__(self, lexer_conf) -> None:
        pass

    def lex(self, data):
        from obslint.lang.logql import tokens

        for kind, value, offset in tokens(data):
            yield Token(kind, value, start_pos=offset)


class MetricsqlLexer(Lexer):
    """MetricsQL's keywords are keywords only where the parser can take them, as in
    VictoriaMetrics' own parser: `by`, `offset`, `bool` or `keep_metric_names` are metric
    names elsewhere, `with` starts templates only before `(`, `inf` is a number only where
    a number fits. The parser's state (lark's interface 1) says what it can take next."""

    __future_interface__ = 1

    def __init__(self, lexer_conf) -> None:
        pass

    def lex(self, lexer_state, parser_state):
        from obslint.lang.metricsql import tokens

        text = lexer_state.text
        found = tokens(getattr(text, "text", text))
        table = parser_state.parse_conf.parse_table.states
        for i, (kind, value, offset) in enumerate(found):
            if kind == "$ERROR":
                raise value
            if kind not in _FIXED and (kind != "NUMBER" or value.isalpha()):
                accepts = table[parser_state.position]
                if kind == "WITH" and (i + 1 == len(found) or found[i + 1][0] != "LPAR"):
                    kind = "IDENT"
                elif "IDENT" in accepts and (kind not in accepts or (
                        i + 1 < len(found) and found[i + 1][0] in _MATCHERS)):
                    kind = "IDENT"  # `{or="x"}`: a label name before a matcher
            yield Token(kind, value, start_pos=offset)


_MATCHERS = frozenset({"EQ", "NEQ", "RE", "NRE"})
_FIXED = frozenset({"IDENT", "STRING", "DURATION", "LPAR", "RPAR", "LBRACE", "RBRACE", "LBRACKET", "RBRACKET",
                    "COMMA", "COLON", "AT", "ADD", "SUB", "MUL", "DIV", "MOD", "POW", "CMP_EQ", "NEQ", "GTE",
                    "LTE", "RE", "NRE", "EQ", "GT", "LT"})
