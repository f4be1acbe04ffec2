"""Problems with a file itself, found while reading it (the loader emits these codes)."""
from obslint.findings import Severity
from obslint.registry import Rule


class UnreadableFile(Rule):
    """The file could not be read: permissions, a file that vanished, or not a regular file.

    ## Why
    A file obslint cannot read is a file nobody checked. Prometheus and Grafana will fail on it too.

    ## Fix
    Check permissions (`chmod a+r`), or exclude the path in the config (`exclude:`).
    """

    code, name, severity = "IN001", "unreadable-file", Severity.ERROR
    summary = "file cannot be read"


class BadEncoding(Rule):
    """The file is not UTF-8 text (Latin-1, binary with NUL bytes, UTF-16 JSON).

    ## Why
    Grafana reads dashboard JSON as UTF-8 only; anything else fails to load or shows mojibake.
    Go's YAML readers (Prometheus, Alertmanager, Grafana provisioning) decode a UTF-16 file by
    its byte order mark, so a UTF-16 YAML file is linted and this is info: obslint never
    rewrites it (`--fix` leaves it alone), and other tools may not read it.

    ## Bad
    ```yaml
    # (a file saved as UTF-16 or containing byte 0xff)
    ```
    """

    code, name, severity = "IN002", "bad-encoding", Severity.ERROR
    summary = "file is not valid UTF-8 text"


class SyntaxErrorRule(Rule):
    """The JSON or YAML does not parse. The finding points at the first position the parser rejected.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules: [
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules: []
    ```
    """

    code, name, severity = "IN003", "syntax-error", Severity.ERROR
    summary = "JSON or YAML syntax error"


class DuplicateKey(Rule):
    """A mapping has the same key twice. JSON and YAML readers keep only the last value,
    so the first is silently lost (Prometheus rejects duplicate keys outright).

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        name: api-v2
        rules: []
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api-v2
        rules: []
    ```
    """

    code, name, severity = "IN004", "duplicate-key", Severity.ERROR
    summary = "the same key appears twice in one mapping"


class EmptyFile(Rule):
    """The file is empty or holds only whitespace and comments.

    ## Why
    Usually a generated file whose generator failed, or a leftover.
    """

    code, name, severity = "IN005", "empty-file", Severity.INFO
    summary = "file is empty"


class ByteOrderMark(Rule):
    """A JSON file starts with a UTF-8 byte order mark, which Grafana's JSON reader rejects.

    ## Fix
    Save the file as UTF-8 without BOM.
    """

    code, name, severity = "IN006", "byte-order-mark", Severity.ERROR
    summary = "JSON file starts with a byte order mark"
    fixable = "safe"

    def fix_for(self, finding, source):
        from obslint.fixes import Fix

        if finding.severity <= Severity.INFO:
            return None  # another tool's file (see obslint.load._foreign_input): left as it is
        return Fix([], "safe", "remove the byte order mark", strip_bom=True)


class FileTooLarge(Rule):
    """The file is larger than `max-file-size` (5 MiB by default) and was not read.

    ## Options
    `max-file-size` in the obslint config, in bytes (or `--max-file-size` on the command line).
    """

    code, name, severity = "IN008", "file-too-large", Severity.ERROR
    summary = "file exceeds the size limit"


class TooComplex(Rule):
    """The document cannot be read safely: nesting too deep, a recursive alias, or a YAML
    alias bomb ("billion laughs") that would expand to millions of nodes.

    ## Bad (`bomb.yaml`)
    ```yaml
    a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
    ```
    """

    code, name, severity = "IN009", "too-complex", Severity.ERROR
    summary = "document nests too deeply or expands too far to read safely"


class TimeBudget(Rule):
    """Checking one file took longer than the per-file time budget (10 s by default), so the
    remaining checks were skipped for that file. No real file comes near it: the budget is a
    backstop against pathological input (a generated monster) holding up the whole run.

    ## Options
    The environment variable `OBSLINT_TIME_BUDGET` sets the budget in seconds (`0`: none).
    """

    code, name, severity = "IN010", "time-budget", Severity.ERROR
    summary = "checking the file took longer than the per-file time budget"


class InternalError(Rule):
    """A check failed with an error on this file: a bug in obslint, not in the file. The
    other checks still ran. Please report it with the file (or a reduced copy).
    """

    code, name, severity = "IN011", "internal-error", Severity.ERROR
    summary = "a check failed on this file (an obslint bug)"


class UnusedSuppression(Rule):
    """A `# obslint: disable=CODE` comment that silences nothing (reported only with
    `--report-unused-suppressions`). Stale suppressions hide future problems.
    """

    code, name, severity = "SU001", "unused-suppression", Severity.WARNING
    summary = "suppression comment that suppresses nothing"


class TemplatedFile(Rule):
    """The file is a Helm (Go) template: `{{ ... }}` actions stand where YAML needs
    structure, so it is YAML only once rendered. obslint skips it and says so, instead of
    reporting syntax errors that are not there once Helm has rendered it.

    ## Bad (`prometheusrule.yaml`)
    ```yaml
    {{- if .Values.rules.enabled }}
    groups:
      - name: api
        rules: []
    {{- end }}
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules: []
    ```
    """

    code, name, severity = "IN012", "templated-file", Severity.INFO
    summary = "Helm/Go template skipped: lint the rendered output"
