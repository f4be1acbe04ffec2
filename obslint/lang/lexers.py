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
    def __init__(self, lexer_conf) -> None:
        pass

    def lex(self, data):
        from obslint.lang.metricsql import tokens

        for kind, value, offset in tokens(data):
            yield Token(kind, value, start_pos=offset)
