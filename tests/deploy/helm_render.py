"""A small renderer for the subset of Helm's template language the ssegate chart uses.

Helm is not a build dependency, so tests/deploy/check_deploy.py renders deploy/helm/ssegate with
this instead. Supported: {{ }} with the {{- -}} trim markers, comments, define/include, if/else,
with/else, variables ($x := ..., $), field chains (.Values.a.b, $x.a), parenthesised pipelines,
and the functions listed in FUNCTIONS. Anything else raises TemplateError, so a template that
grows past this subset fails the test loudly instead of being checked wrongly.

Helm semantics kept on purpose, because they are real deployment bugs:
  - numbers from values.yaml are float64 in Go: {{ .Values.n }} with n: 1000000 prints 1e+06, and printf "%d" on
    one prints %!d(float64=...); pass them through `int` first;
  - printing a missing value (<no value>) or a map/list is reported as an error.
"""

import copy
import decimal
import hashlib
import json
import os
import re

import yaml


class TemplateError(Exception):
    pass


class GoFloat(float):
    """A number that came from values.yaml (Go float64)."""


def to_go_values(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return GoFloat(value)
    if isinstance(value, dict):
        return {str(k): to_go_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_go_values(v) for v in value]
    return value


def from_go_values(value):
    """Back to plain Python for yaml.safe_dump: integral float64s print as integers (as JSON does)."""
    if isinstance(value, GoFloat):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, dict):
        return {k: from_go_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_go_values(v) for v in value]
    return value


def go_float_str(f):
    """fmt's %v for a float64: strconv 'g', shortest digits, exponent form if exp < -4 or >= 6."""
    f = float(f)
    if f == 0:
        return "0"
    d = decimal.Decimal(repr(f)).normalize()
    sign, digits, exponent = d.as_tuple()
    digits = "".join(map(str, digits))
    exp = len(digits) + exponent - 1  # position of the first digit
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return ("-" if sign else "") + mant + "e" + ("-" if exp < 0 else "+") + "%02d" % abs(exp)
    return ("-" if sign else "") + format(d, "f")


def go_str(value):
    if value is None:
        raise TemplateError("prints a missing value (<no value>)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, GoFloat):
        return go_float_str(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return go_float_str(value)
    raise TemplateError("prints a %s directly; use toYaml" % type(value).__name__)


def truthy(value):
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


def go_printf(fmt, *args):
    out, i, n = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        verb = fmt[i + 1]
        i += 2
        if verb == "%":
            out.append("%")
            continue
        if n >= len(args):
            out.append("%!" + verb + "(MISSING)")
            continue
        a = args[n]
        n += 1
        if verb == "d":
            if isinstance(a, int) and not isinstance(a, bool):
                out.append(str(a))
            else:
                kind = "float64" if isinstance(a, float) else type(a).__name__
                out.append("%%!d(%s=%s)" % (kind, go_str(a)))
        elif verb in "sv":
            out.append(go_str(a))
        elif verb == "q":
            out.append(json.dumps(go_str(a)))
        else:
            raise TemplateError("printf verb %%%s not supported" % verb)
    return "".join(out)


def go_empty(v):
    return not truthy(v)


def merge(dst, *srcs):
    """Sprig merge (mergo without override): dst keys win, except empty values; maps deep-merge."""
    for src in srcs:
        if src is None:
            continue
        for k, v in src.items():
            if k in dst and isinstance(dst[k], dict) and isinstance(v, dict):
                merge(dst[k], v)
            elif k not in dst or (go_empty(dst[k]) and not isinstance(dst[k], dict)):
                dst[k] = v
    return dst


def to_int(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(float(v))
        except ValueError:
            return 0
    raise TemplateError("int of %s" % type(v).__name__)


def indent_text(n, s):
    pad = " " * n
    return pad + s.replace("\n", "\n" + pad)


def to_yaml(v):
    if v is None:
        return "null"
    return yaml.safe_dump(from_go_values(v), default_flow_style=False, sort_keys=True,
                          allow_unicode=True).rstrip("\n")


def trunc(n, s):
    if n < 0 and len(s) > -n:
        return s[len(s) + n:]
    if n >= 0 and len(s) > n:
        return s[:n]
    return s


FUNCTIONS = {
    "default": lambda d, *given: given[0] if given and truthy(given[0]) else d,
    "trunc": trunc,
    "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
    "contains": lambda sub, s: sub in s,
    "printf": go_printf,
    "quote": lambda *a: " ".join(json.dumps(go_str(x)) for x in a if x is not None),
    "toYaml": to_yaml,
    "nindent": lambda n, s: "\n" + indent_text(n, s),
    "indent": indent_text,
    "dict": lambda *kv: {str(kv[i]): kv[i + 1] for i in range(0, len(kv), 2)},
    "merge": merge,
    "int": to_int,
    "add": lambda *a: sum(to_int(x) for x in a),
    "not": lambda v: not truthy(v),
    "sha256sum": lambda s: hashlib.sha256(s.encode()).hexdigest(),
}

TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<assign>:=)
    | (?P<punct>[()|])
    | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.X)


def tokenize(expr):
    tokens, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise TemplateError("cannot parse %r at %r" % (expr, expr[pos:]))
        pos = m.end()
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
    return tokens


def parse_pipeline(tokens, i=0, closing=None):
    """Returns ([command, ...], next index); a command is a list of operands."""
    commands, current = [], []
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "punct" and text == ")":
            if closing != ")":
                raise TemplateError("unbalanced )")
            break
        if kind == "punct" and text == "|":
            commands.append(current)
            current = []
            i += 1
            continue
        if kind == "punct" and text == "(":
            sub, i = parse_pipeline(tokens, i + 1, ")")
            current.append(("pipe", sub))
            i += 1
            continue
        current.append((kind, text))
        i += 1
    commands.append(current)
    if any(not c for c in commands):
        raise TemplateError("empty command in pipeline")
    return commands, i


class Renderer:
    def __init__(self, chart_dir, values, release_name="ssegate", namespace="default"):
        with open(os.path.join(chart_dir, "Chart.yaml")) as f:
            chart = yaml.safe_load(f)
        self.chart = {"Name": chart["name"], "Version": chart["version"],
                      "AppVersion": chart.get("appVersion", "")}
        self.root = {
            "Values": to_go_values(values),
            "Chart": self.chart,
            "Release": {"Name": release_name, "Namespace": namespace, "Service": "Helm",
                        "IsInstall": True, "IsUpgrade": False, "Revision": 1},
            "Capabilities": {"KubeVersion": {"Version": "v1.29.0"}},
        }
        self.defines = {}
        self.templates = {}
        tdir = os.path.join(chart_dir, "templates")
        for name in sorted(os.listdir(tdir)):
            with open(os.path.join(tdir, name)) as f:
                nodes = self.parse(f.read(), name)
            if name.endswith(".tpl"):
                continue  # defines only
            self.templates[name] = nodes

    # ---- parsing -------------------------------------------------------------------------------
    ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)

    def parse(self, text, name):
        pieces, pos, trim_next = [], 0, False
        for m in self.ACTION.finditer(text):
            chunk = text[pos:m.start()]
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            if m.group(1):
                chunk = chunk.rstrip(" \t\r\n")
            pieces.append(("text", chunk))
            body = m.group(2).strip()
            if not (body.startswith("/*") and body.endswith("*/")):
                pieces.append(("action", body))
            trim_next = bool(m.group(3))
            pos = m.end()
        chunk = text[pos:]
        pieces.append(("text", chunk.lstrip(" \t\r\n") if trim_next else chunk))
        nodes, rest = self.build(pieces, 0, name, top=True)
        return nodes

    def build(self, pieces, i, name, top=False):
        """Nodes until an unmatched end/else; returns (nodes, index of that end/else or len)."""
        nodes = []
        while i < len(pieces):
            kind, body = pieces[i]
            if kind == "text":
                if body:
                    nodes.append(("text", body))
                i += 1
                continue
            word = body.split(None, 1)[0] if body else ""
            rest = body[len(word):].strip()
            if word in ("end", "else"):
                if top:
                    raise TemplateError("%s: unexpected {{ %s }}" % (name, body))
                return nodes, i
            if word == "define":
                dname = json.loads(rest)
                inner, j = self.build(pieces, i + 1, name)
                if pieces[j][1] != "end":
                    raise TemplateError("%s: define %s without end" % (name, dname))
                self.defines[dname] = inner
                i = j + 1
            elif word in ("if", "with"):
                cond = parse_pipeline(tokenize(rest))[0]
                inner, j = self.build(pieces, i + 1, name)
                other = []
                if j < len(pieces) and pieces[j][1] == "else":
                    other, j = self.build(pieces, j + 1, name)
                if j >= len(pieces) or pieces[j][1] != "end":
                    raise TemplateError("%s: %s without end" % (name, word))
                nodes.append((word, cond, inner, other))
                i = j + 1
            elif word in ("range", "template", "block", "break", "continue"):
                raise TemplateError("%s: {{ %s }} is outside the supported subset" % (name, word))
            else:
                tokens = tokenize(body)
                if len(tokens) >= 2 and tokens[0][0] == "var" and tokens[1][0] == "assign":
                    nodes.append(("assign", tokens[0][1], parse_pipeline(tokens[2:])[0]))
                else:
                    nodes.append(("out", parse_pipeline(tokens)[0], body))
                i += 1
        if not top:
            raise TemplateError("%s: missing {{ end }}" % name)
        return nodes, i

    # ---- evaluation ----------------------------------------------------------------------------
    def render(self, name):
        return self.run(self.templates[name], self.root, {"$": self.root}, name)

    def include(self, dname, dot):
        if dname not in self.defines:
            raise TemplateError("include of undefined template %r" % dname)
        return self.run(self.defines[dname], dot, {"$": dot}, dname)

    def run(self, nodes, dot, scope, where):
        out = []
        scope = dict(scope)
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "out":
                value = self.pipeline(node[1], dot, scope, where)
                try:
                    out.append(go_str(value))
                except TemplateError as e:
                    raise TemplateError("%s: {{ %s }} %s" % (where, node[2], e))
            elif kind == "assign":
                scope[node[1]] = self.pipeline(node[2], dot, scope, where)
            elif kind in ("if", "with"):
                value = self.pipeline(node[1], dot, scope, where)
                if truthy(value):
                    out.append(self.run(node[2], value if kind == "with" else dot, scope, where))
                else:
                    out.append(self.run(node[3], dot, scope, where))
        return "".join(out)

    def pipeline(self, commands, dot, scope, where):
        value, have = None, False
        for cmd in commands:
            value = self.command(cmd, dot, scope, where, value, have)
            have = True
        return value

    def command(self, cmd, dot, scope, where, piped, have_piped):
        head = cmd[0]
        if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            fname = head[1]
            args = [self.operand(op, dot, scope, where) for op in cmd[1:]]
            if have_piped:
                args.append(piped)
            if fname == "include":
                return self.include(args[0], args[1])
            if fname not in FUNCTIONS:
                raise TemplateError("%s: function %r is outside the supported subset"
                                    % (where, fname))
            try:
                return FUNCTIONS[fname](*args)
            except TypeError as e:
                raise TemplateError("%s: %s: %s" % (where, fname, e))
        if len(cmd) != 1 or have_piped:
            raise TemplateError("%s: can't give arguments to a non-function" % where)
        return self.operand(head, dot, scope, where)

    def operand(self, op, dot, scope, where):
        kind, text = op
        if kind == "pipe":
            return self.pipeline(text, dot, scope, where)
        if kind == "str":
            return json.loads(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            if text == "true":
                return True
            if text == "false":
                return False
            if text == "nil":
                return None
            return self.command([op], dot, scope, where, None, False)
        if kind == "field":
            return self.fields(dot, text, where)
        if kind == "var":
            name, _, chain = text.partition(".")
            if name not in scope:
                raise TemplateError("%s: undefined variable %s" % (where, name))
            return self.fields(scope[name], "." + chain if chain else ".", where)
        raise TemplateError("%s: unexpected %s %r" % (where, kind, text))

    @staticmethod
    def fields(obj, chain, where):
        if chain == ".":
            return obj
        walked = ""
        for part in chain.strip(".").split("."):
            if obj is None:
                raise TemplateError("%s: nil pointer evaluating %s.%s" % (where, walked or ".",
                                                                           part))
            if not isinstance(obj, dict):
                raise TemplateError("%s: can't evaluate field %s in %s" % (where, part,
                                                                          type(obj).__name__))
            obj = obj.get(part)
            walked += "." + part
        return obj


def render_chart(chart_dir, values, release_name="ssegate"):
    """{template file name: rendered text} for every non-helper template."""
    r = Renderer(chart_dir, copy.deepcopy(values), release_name)
    return {name: r.render(name) for name in r.templates}
