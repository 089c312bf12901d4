#!/usr/bin/python3
"""Checks that the deploy/ artefacts agree with each other and with the ssegate binary.

usage: check_deploy.py PATH/TO/ssegate

Static: nothing is built, pulled or started except `ssegate -t` (and `systemd-analyze verify` when
present). Prints one PASS/FAIL/SKIP line per check and exits 1 if any check failed.

  Dockerfile   stages, build via deploy/install-deps.sh + make build, runtime packages cover the
               binary's shared libraries, non-root USER, ENTRYPOINT binary and config path, the
               baked config passes `ssegate -t`, EXPOSE = its ports, STOPSIGNAL, no HEALTHCHECK
  systemd      Type, ExecStartPre -t, ExecReload HUP, KillSignal, TimeoutStopSec >= drain + 5s,
               LimitNOFILE, hardening, paths equal to the image's; systemd-analyze verify
  kubernetes   every ConfigMap-embedded ssegate.yaml passes `ssegate -t`; container ports equal
               its listener/admin ports; probes /readyz and /healthz on the admin port; mount path
               = the image's config path; terminationGracePeriodSeconds >= drain + preStop + 5s;
               non-root; Services, PDBs and HPAs select what exists; kustomizations are complete
  helm         every .Values reference exists; the chart renders (tests/deploy/helm_render.py)
               with the default values and a variant, and the result passes the kubernetes checks;
               drainTimeoutSeconds drives both limits.drain_timeout and the grace period
"""

import glob
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEPLOY = os.path.join(ROOT, "deploy")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree under ctest
sys.path.insert(0, HERE)
import helm_render  # noqa: E402

DEFAULT_DRAIN_S = 30.0  # DESIGN.md A3 limits.drain_timeout
# ssegate exits at the latest ~2s after drain_timeout (src/app/gateway.cc); stop budgets must
# leave at least this much beyond drain_timeout (+ preStop) before the SIGKILL.
STOP_MARGIN_S = 5.0
RUNTIME_PACKAGES = {"libuv1", "libnghttp2-14", "libssl3", "libyaml-cpp0.7", "ca-certificates"}
# Already in debian:12-slim (Essential/Required and apt's own dependencies).
SLIM_BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5",
                      "libbz2-1.0", "libcrypt1", "libselinux1", "libpcre2-8-0", "libtinfo6"}
SANITIZER_LIBS = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\.so")


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, ": " + detail if detail else ""))
        return ok

    def skip(self, name, why):
        print("SKIP %s: %s" % (name, why))


R = Report()


# ---- helpers ------------------------------------------------------------------------------------

def parse_duration(text):
    """ssegate duration ("250ms", "15s", "5m", "1h") -> seconds."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", str(text).strip())
    if not m:
        raise ValueError("not a duration: %r" % text)
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def parse_timespan(text):
    """systemd time span ("45s", "1min 30s", "90") -> seconds."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60,
             "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600,
             "hours": 3600}
    total = 0.0
    for num, unit in re.findall(r"(\d+)\s*([a-z]+)", text):
        if unit not in units:
            raise ValueError("unknown unit in %r" % text)
        total += int(num) * units[unit]
    if total == 0 and text not in ("0", "0s"):
        raise ValueError("cannot parse %r" % text)
    return total


def host_port(address):
    host, _, port = str(address).rpartition(":")
    return host.strip("[]"), int(port)


def run_config_check(binary, text, label):
    """`ssegate -t -c FILE` on text; PASS/FAIL line named after label. Returns success."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="ssegate-deploy-",
                                     delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([binary, "-t", "-c", path], capture_output=True, text=True, timeout=60)
        out = (p.stdout + p.stderr).strip().replace(path, label)
        return R.check("%s passes ssegate -t" % label,
                       p.returncode == 0 and "configuration OK" in out, out)
    finally:
        os.unlink(path)


class SsegateConfig:
    def __init__(self, text, label):
        self.text = text
        self.label = label
        self.doc = yaml.safe_load(text) or {}
        self.listeners = [host_port(l["address"]) for l in self.doc.get("listeners") or []]
        admin = self.doc.get("admin")
        self.admin = host_port(admin["address"]) if admin else None
        limits = self.doc.get("limits") or {}
        self.drain_s = parse_duration(limits.get("drain_timeout", "%ds" % DEFAULT_DRAIN_S))
        self.upstreams = {name: u.get("url", "") for name, u in
                          (self.doc.get("upstreams") or {}).items()}


def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def binary_version(binary):
    p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    m = re.search(r"(\d+\.\d+\.\d+\S*)", p.stdout + p.stderr)
    return m.group(1) if m else None


# ---- Dockerfile ---------------------------------------------------------------------------------

def parse_dockerfile(path):
    """[(INSTRUCTION, argument text, heredoc body or None)], continuation lines joined."""
    lines = open(path).read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            nxt = lines[i]
            i += 1
            if nxt.lstrip().startswith("#"):
                continue
            line = line[:-1] + " " + nxt.strip()
        instr, _, args = line.strip().partition(" ")
        body = None
        m = re.search(r"<<-?(['\"]?)(\w+)\1", args)
        if m:
            end, chunk = m.group(2), []
            while i < len(lines) and lines[i] != end:
                chunk.append(lines[i])
                i += 1
            i += 1
            body = "\n".join(chunk) + "\n"
        out.append((instr.upper(), args.strip(), body))
    return out


def apt_packages(run_args):
    pkgs = []
    for cmd in re.split(r"&&|;|\|\|", run_args):
        words = shlex.split(cmd)
        if "apt-get" in words and "install" in words:
            for w in words[words.index("install") + 1:]:
                if not w.startswith("-"):
                    pkgs.append(w)
    return pkgs


def library_packages(binary):
    """Debian packages providing the binary's shared libraries, {soname: package or None}."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
    result = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if not m or SANITIZER_LIBS.match(m.group(1)):
            continue
        soname, path = m.groups()
        real = os.path.realpath(path)
        candidates = [path, real]
        for c in (path, real):
            candidates.append(c[4:] if c.startswith("/usr/") else "/usr" + c)
        pkg = None
        for c in candidates:
            q = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if q.returncode == 0:
                pkg = q.stdout.split(":", 1)[0].strip()
                break
        result[soname] = pkg
    return result


def check_dockerfile(binary):
    """Returns facts the other checks compare against."""
    path = os.path.join(DEPLOY, "Dockerfile")
    instrs = parse_dockerfile(path)
    stages, cur = [], None
    for ins in instrs:
        if ins[0] == "FROM":
            cur = {"from": ins[1], "instrs": []}
            stages.append(cur)
        elif cur is not None:
            cur["instrs"].append(ins)
    facts = {"binary": None, "config_path": None, "copied": set()}
    if not R.check("Dockerfile: multi-stage (builder + runtime)", len(stages) >= 2,
                   "%d stage(s)" % len(stages)):
        return facts
    build, runtime = stages[0], stages[-1]
    bm = re.fullmatch(r"(?:--\S+\s+)*debian:12\s+AS\s+(\S+)", build["from"], re.I)
    R.check("Dockerfile: builder stage is debian:12 AS <name>", bm is not None, build["from"])
    builder = bm.group(1) if bm else None
    R.check("Dockerfile: runtime stage is debian:12-slim",
            re.fullmatch(r"(?:--\S+\s+)*debian:12-slim", runtime["from"]) is not None,
            runtime["from"])

    runs = " && ".join(a for k, a, _ in build["instrs"] if k == "RUN")
    R.check("Dockerfile: builder runs deploy/install-deps.sh", "deploy/install-deps.sh" in runs)
    R.check("Dockerfile: builder runs make build", re.search(r"\bmake build\b", runs) is not None)
    workdir = next((a for k, a, _ in build["instrs"] if k == "WORKDIR"), "/")

    for stage in stages:
        for k, a, body in stage["instrs"]:
            if k in ("COPY", "ADD") and body is None and "--from" not in a:
                srcs = shlex.split(a)[:-1]
                missing = [s for s in srcs if not s.startswith("--") and
                           not glob.glob(os.path.join(ROOT, s))]
                R.check("Dockerfile: COPY %s exists in the build context" % " ".join(srcs),
                        not missing, "missing: %s" % missing)

    rruns = " && ".join(a for k, a, _ in runtime["instrs"] if k == "RUN")
    pkgs = set(apt_packages(rruns))
    R.check("Dockerfile: runtime installs exactly the runtime libraries",
            pkgs == RUNTIME_PACKAGES, "installs %s, want %s" % (sorted(pkgs),
                                                               sorted(RUNTIME_PACKAGES)))
    R.check("Dockerfile: runtime apt uses --no-install-recommends and cleans lists",
            "--no-install-recommends" in rruns and "/var/lib/apt/lists" in rruns)
    libs = library_packages(binary)
    uncovered = {s: p for s, p in libs.items()
                 if p not in RUNTIME_PACKAGES and p not in SLIM_BASE_PACKAGES}
    R.check("Dockerfile: runtime packages provide every shared library of ssegate (%s)"
            % ", ".join(sorted(set(p for p in libs.values() if p))), not uncovered,
            "not provided: %s" % uncovered)

    users = [a for k, a, _ in runtime["instrs"] if k == "USER"]
    user = users[-1] if users else "root"
    uid = user.split(":")[0]
    R.check("Dockerfile: runs as a non-root USER", uid not in ("0", "root", ""), "USER %s" % user)
    R.check("Dockerfile: USER is uid 10001 created with useradd",
            uid == "10001" and re.search(r"useradd[^&]*--uid 10001", rruns) is not None,
            "USER %s" % user)

    copies = {}
    for k, a, body in runtime["instrs"]:
        if k == "COPY":
            words = shlex.split(a)
            dest = words[-1]
            copies[dest] = (words, body)
            facts["copied"].add(dest)
    ep = [a for k, a, _ in runtime["instrs"] if k == "ENTRYPOINT"]
    entry = None
    if ep:
        try:
            entry = yaml.safe_load(ep[-1])
        except yaml.YAMLError:
            entry = None
    if not R.check("Dockerfile: ENTRYPOINT is an exec-form [binary, -c, config]",
                   isinstance(entry, list) and "-c" in entry and entry.index("-c") + 1 < len(entry),
                   str(ep)):
        return facts
    facts["binary"] = entry[0]
    facts["config_path"] = entry[entry.index("-c") + 1]
    R.check("Dockerfile: ENTRYPOINT binary is /usr/local/bin/ssegate",
            entry[0] == "/usr/local/bin/ssegate", entry[0])
    src = copies.get(entry[0])
    want_src = os.path.normpath(os.path.join(workdir, "build", "ssegate"))
    R.check("Dockerfile: binary copied from the builder's build/ssegate",
            src is not None and "--from=%s" % builder in src[0] and
            os.path.normpath(src[0][-2]) == want_src, str(src and src[0]))

    cfg = copies.get(facts["config_path"])
    if R.check("Dockerfile: the ENTRYPOINT config %s is written into the image"
               % facts["config_path"], cfg is not None and cfg[1] is not None):
        label = "Dockerfile config %s" % facts["config_path"]
        run_config_check(binary, cfg[1], label)
        c = SsegateConfig(cfg[1], label)
        loopback = [h for h, _ in c.listeners + ([c.admin] if c.admin else [])
                    if h.startswith("127.") or h in ("::1", "localhost")]
        R.check("Dockerfile: baked config listens on all interfaces (reachable from outside)",
                not loopback and c.admin is not None, "loopback: %s" % loopback)
        exposed = set()
        for k, a, _ in runtime["instrs"]:
            if k == "EXPOSE":
                exposed |= {int(p.split("/")[0]) for p in a.split()}
        want = {p for _, p in c.listeners} | ({c.admin[1]} if c.admin else set())
        R.check("Dockerfile: EXPOSE %s = listener and admin ports of the baked config"
                % sorted(exposed), exposed == want, "want %s" % sorted(want))
        facts["drain_s"] = c.drain_s
    stop = [a for k, a, _ in runtime["instrs"] if k == "STOPSIGNAL"]
    R.check("Dockerfile: STOPSIGNAL SIGTERM", stop[-1:] == ["SIGTERM"], str(stop))
    hc = [a for k, a, _ in runtime["instrs"] if k == "HEALTHCHECK"]
    R.check("Dockerfile: no HEALTHCHECK (orchestrators probe /healthz and /readyz)",
            all(a.upper() == "NONE" for a in hc), str(hc))
    return facts


# ---- systemd ------------------------------------------------------------------------------------

def parse_unit(path):
    unit, section = {}, None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        unit.setdefault((section, key.strip()), []).append(value.strip())
    return unit


def check_systemd(binary, image):
    path = os.path.join(DEPLOY, "systemd", "ssegate.service")
    unit = parse_unit(path)

    def get(key, section="Service"):
        v = unit.get((section, key))
        return v[-1] if v else None

    conf = os.path.join(ROOT, "conf", "ssegate.yaml")
    drain = SsegateConfig(open(conf).read(), "conf/ssegate.yaml").drain_s
    exe = image.get("binary") or "/usr/local/bin/ssegate"
    cfg = image.get("config_path") or "/etc/ssegate/ssegate.yaml"
    R.check("systemd: Type=simple", get("Type") == "simple", str(get("Type")))
    pre = [shlex.split(v.lstrip("-@+!:")) for v in unit.get(("Service", "ExecStartPre"), [])]
    R.check("systemd: ExecStartPre checks the config (%s -t -c %s)" % (exe, cfg),
            any(p and p[0] == exe and "-t" in p and p[p.index("-c") + 1] == cfg
                for p in pre if "-c" in p), str(pre))
    start = shlex.split(get("ExecStart") or "")
    R.check("systemd: ExecStart is %s -c %s (the image's binary and config paths)" % (exe, cfg),
            start[:1] == [exe] and "-c" in start and start[start.index("-c") + 1] == cfg
            and "-t" not in start, str(start))
    reload_ = unit.get(("Service", "ExecReload"), [])
    R.check("systemd: ExecReload sends SIGHUP to $MAINPID",
            any(re.fullmatch(r"/bin/kill -(HUP|SIGHUP|s HUP) \$MAINPID", r) for r in reload_),
            str(reload_))
    R.check("systemd: KillSignal=SIGTERM", get("KillSignal") in ("SIGTERM", None),
            str(get("KillSignal")))
    ts = get("TimeoutStopSec")
    try:
        stop_s = parse_timespan(ts) if ts else 90.0
    except ValueError as e:
        stop_s, ts = -1, str(e)
    R.check("systemd: TimeoutStopSec %s >= drain_timeout %gs of conf/ssegate.yaml + %gs"
            % (ts, drain, STOP_MARGIN_S), stop_s >= drain + STOP_MARGIN_S)
    nofile = get("LimitNOFILE") or "0"
    R.check("systemd: LimitNOFILE >= 65536", nofile == "infinity" or
            (nofile.split(":")[-1].isdigit() and int(nofile.split(":")[-1]) >= 65536), nofile)
    R.check("systemd: Restart=on-failure", get("Restart") == "on-failure", str(get("Restart")))
    user = get("User")
    R.check("systemd: runs unprivileged (DynamicUser=yes or User=non-root)",
            get("DynamicUser") in ("yes", "true", "1") or (user and user not in ("root", "0")))
    for key, want in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                      ("ProtectHome", "yes"), ("PrivateTmp", "yes")):
        R.check("systemd: %s=%s" % (key, want), get(key) == want, str(get(key)))
    R.check("systemd: [Install] WantedBy=multi-user.target",
            get("WantedBy", "Install") == "multi-user.target")

    tool = shutil.which("systemd-analyze")
    if not tool:
        R.skip("systemd: systemd-analyze verify", "systemd-analyze not installed")
        return
    with tempfile.TemporaryDirectory() as d:
        text = open(path).read().replace(exe, os.path.abspath(binary))
        copy_path = os.path.join(d, "ssegate.service")
        with open(copy_path, "w") as f:
            f.write(text)
        p = subprocess.run([tool, "verify", copy_path], capture_output=True, text=True,
                           timeout=120)
        out = (p.stdout + p.stderr).strip()
        R.check("systemd: systemd-analyze verify", p.returncode == 0, out)


# ---- Kubernetes (plain manifests and rendered chart) --------------------------------------------

def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def probe_port(probe, ports_by_name):
    port = ((probe or {}).get("httpGet") or {}).get("port")
    return ports_by_name.get(port) if isinstance(port, str) else port


def prestop_sleep(container):
    cmd = (((container.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}) \
        .get("command") or []
    if len(cmd) == 2 and os.path.basename(cmd[0]) == "sleep":
        return float(cmd[1])
    sleep = ((container.get("lifecycle") or {}).get("preStop") or {}).get("sleep")
    return float(sleep["seconds"]) if sleep else 0.0


def is_gateway(container, image_binary):
    """An ssegate container runs the image's ENTRYPOINT (or names the binary as its command)."""
    repo = container.get("image", "").rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    cmd = container.get("command")
    return repo == "ssegate" and (not cmd or cmd[0] == image_binary)


def check_k8s_set(label, docs, binary, image, version, services_required=True, expect=None):
    """Checks one set of manifests. Returns {deployment name: [SsegateConfig, ...]}."""
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)
    for kind, items in by_kind.items():
        names = [i["metadata"]["name"] for i in items]
        R.check("%s: %s names are unique" % (label, kind), len(names) == len(set(names)),
                str(names))
    configmaps = {c["metadata"]["name"]: c for c in by_kind.get("ConfigMap", [])}
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    deployments = by_kind.get("Deployment", [])
    cfg_path = image.get("config_path") or "/etc/ssegate/ssegate.yaml"
    exe = image.get("binary") or "/usr/local/bin/ssegate"
    found = {}
    for dep in deployments:
        name = dep["metadata"]["name"]
        where = "%s: Deployment %s" % (label, name)
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"].get("labels") or {}
        R.check("%s: selector matches the pod labels" % where,
                selects(spec["selector"].get("matchLabels"), labels))
        grace = pod.get("terminationGracePeriodSeconds", 30)
        containers = pod.get("containers") or []
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        psc = pod.get("securityContext") or {}
        for c in containers:
            csc = c.get("securityContext") or {}
            cwhere = "%s container %s" % (where, c["name"])
            R.check("%s: runAsNonRoot" % cwhere,
                    csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True and
                    csc.get("runAsUser", psc.get("runAsUser", 10001)) != 0)
            res = c.get("resources") or {}
            R.check("%s: resources requests and limits" % cwhere,
                    bool(res.get("requests")) and bool(res.get("limits")))
            sleep = prestop_sleep(c)
            R.check("%s: preStop sleep %gs < terminationGracePeriodSeconds %s"
                    % (cwhere, sleep, grace), sleep < grace)
            cmd = c.get("command") or []
            if cmd and c.get("image", "").split(":")[0].endswith("ssegate") and image["copied"]:
                R.check("%s: command %s exists in the image" % (cwhere, cmd[0]),
                        cmd[0] in image["copied"] or cmd[0] == exe or cmd[0].startswith("/bin/"))
        gateways = [c for c in containers if is_gateway(c, exe)]
        found[name] = []
        for c in gateways:
            cwhere = "%s container %s" % (where, c["name"])
            tag = c.get("image", "").rpartition(":")[2]
            if version:
                R.check("%s: image tag %s = ssegate --version %s" % (cwhere, tag, version),
                        tag == version)
            args = list(c.get("args") or [])
            path = args[args.index("-c") + 1] if "-c" in args else cfg_path
            mount = next((m for m in c.get("volumeMounts") or []
                          if m["mountPath"] in (path, os.path.dirname(path))), None)
            if not R.check("%s: mounts a ConfigMap at %s (the image's -c path)" % (cwhere, path),
                           mount is not None and "configMap" in volumes.get(mount["name"], {}),
                           str(c.get("volumeMounts"))):
                continue
            cm_ref = volumes[mount["name"]]["configMap"]
            if mount["mountPath"] == path:
                key = mount.get("subPath")
            else:
                fname = os.path.basename(path)
                items = cm_ref.get("items")
                key = next((i["key"] for i in items if i["path"] == fname), None) \
                    if items else fname
            cm = configmaps.get(cm_ref["name"])
            text = (cm or {}).get("data", {}).get(key) if key else None
            if not R.check("%s: ConfigMap %s has key %s" % (cwhere, cm_ref["name"], key),
                           text is not None):
                continue
            clabel = "%s: ConfigMap %s/%s" % (label, cm_ref["name"], key)
            run_config_check(binary, text, clabel)
            cfg = SsegateConfig(text, clabel)
            found[name].append(cfg)
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            port_numbers = set(ports.values())
            R.check("%s: containerPort http = first listener port %s" % (cwhere, cfg.listeners[:1]),
                    bool(cfg.listeners) and ports.get("http") == cfg.listeners[0][1],
                    "ports %s" % ports)
            R.check("%s: every listener port is a containerPort" % cwhere,
                    all(p in port_numbers for _, p in cfg.listeners), "ports %s" % ports)
            if not R.check("%s: containerPort admin = admin port %s" % (cwhere, cfg.admin),
                           cfg.admin is not None and ports.get("admin") == cfg.admin[1],
                           "ports %s" % ports):
                continue
            hosts = [h for h, _ in cfg.listeners] + [cfg.admin[0]]
            R.check("%s: listeners and admin bind all interfaces (probes come from the kubelet)"
                    % cwhere, all(h in ("0.0.0.0", "::", "") for h in hosts), str(hosts))
            for kind, want in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                probe = c.get(kind)
                got = ((probe or {}).get("httpGet") or {}).get("path")
                R.check("%s: %s httpGet %s on the admin port" % (cwhere, kind, want),
                        got == want and probe_port(probe, ports) == cfg.admin[1],
                        "path %s port %s" % (got, ((probe or {}).get("httpGet") or {})
                                             .get("port")))
            sleep = prestop_sleep(c)
            R.check("%s: preStop sleep (%gs) so endpoints go before SIGTERM" % (cwhere, sleep),
                    sleep >= 1)
            R.check("%s: terminationGracePeriodSeconds %s >= drain_timeout %gs + preStop %gs + %gs"
                    % (cwhere, grace, cfg.drain_s, sleep, STOP_MARGIN_S),
                    grace >= cfg.drain_s + sleep + STOP_MARGIN_S)
            workers = cfg.doc.get("workers", "auto")
            R.check("%s: workers set explicitly (auto counts the node's CPUs, not the limit)"
                    % cwhere, workers != "auto", str(workers))
            for uname, url in cfg.upstreams.items():
                m = re.match(r"https?://(\[[^\]]+\]|[^:/]+)(?::(\d+))?", url)
                host = m.group(1).strip("[]")
                port = int(m.group(2) or (443 if url.startswith("https") else 80))
                if host in ("127.0.0.1", "localhost", "::1"):
                    others = [o for o in containers if o is not c]
                    serves = [o["name"] for o in others
                              if port in [p["containerPort"] for p in o.get("ports") or []]
                              or re.search(r":%d\b" % port, " ".join(
                                  (o.get("command") or []) + (o.get("args") or [])))]
                    R.check("%s: upstream %s %s is served by another container of the pod"
                            % (cwhere, uname, url), bool(serves))
                elif "." not in host and services_required:
                    svc = services.get(host)
                    R.check("%s: upstream %s %s is a Service in the manifests with port %d"
                            % (cwhere, uname, url, port),
                            svc is not None and port in [p["port"] for p in svc["spec"]["ports"]])
        if expect and name in expect:
            R.check("%s: runs an ssegate container" % where, bool(gateways))
    pods = [(d["metadata"]["name"], d["spec"]["template"]["metadata"].get("labels") or {},
             d["spec"]["template"]["spec"]) for d in deployments]
    for sname, svc in services.items():
        matched = [p for p in pods if selects(svc["spec"].get("selector"), p[1])]
        if not R.check("%s: Service %s selects a Deployment's pods" % (label, sname),
                       bool(matched)):
            continue
        named = {p.get("name") for _, _, spec in matched for c in spec.get("containers", [])
                 for p in c.get("ports") or []}
        numbers = {p["containerPort"] for _, _, spec in matched
                   for c in spec.get("containers", []) for p in c.get("ports") or []}
        for port in svc["spec"]["ports"]:
            tp = port.get("targetPort", port["port"])
            R.check("%s: Service %s targetPort %s is a containerPort" % (label, sname, tp),
                    tp in (named if isinstance(tp, str) else numbers))
    for pdb in by_kind.get("PodDisruptionBudget", []):
        R.check("%s: PodDisruptionBudget %s selects a Deployment's pods"
                % (label, pdb["metadata"]["name"]),
                any(selects(pdb["spec"]["selector"].get("matchLabels"), p[1]) for p in pods))
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        hname = hpa["metadata"]["name"]
        ref = hpa["spec"]["scaleTargetRef"]
        target = next((p for p in pods if p[0] == ref.get("name")), None)
        R.check("%s: HPA %s is autoscaling/v2 on CPU" % (label, hname),
                hpa.get("apiVersion") == "autoscaling/v2" and any(
                    (m.get("resource") or {}).get("name") == "cpu"
                    for m in hpa["spec"].get("metrics", [])))
        R.check("%s: HPA %s targets an existing Deployment whose containers request CPU"
                % (label, hname), ref.get("kind") == "Deployment" and target is not None and
                all(((c.get("resources") or {}).get("requests") or {}).get("cpu")
                    for c in target[2]["containers"]))
        R.check("%s: HPA %s minReplicas >= 2 (a drain needs somewhere to go)" % (label, hname),
                hpa["spec"].get("minReplicas", 1) >= 2)
    return found


def check_kubernetes(binary, image, version):
    kdir = os.path.join(DEPLOY, "kubernetes")
    files = sorted(glob.glob(os.path.join(kdir, "**", "*.yaml"), recursive=True))
    docs = []
    for f in files:
        rel = os.path.relpath(f, ROOT)
        try:
            loaded = load_yaml_docs(f)
        except yaml.YAMLError as e:
            R.check("%s parses" % rel, False, str(e))
            continue
        R.check("%s parses (%d document(s))" % (rel, len(loaded)), bool(loaded))
        if os.path.basename(f) == "kustomization.yaml":
            listed = loaded[0].get("resources", [])
            here = os.path.dirname(f)
            present = sorted(os.path.basename(p) for p in glob.glob(os.path.join(here, "*.yaml"))
                             if os.path.basename(p) != "kustomization.yaml")
            R.check("%s lists every manifest of its directory" % rel,
                    sorted(listed) == present, "lists %s, has %s" % (listed, present))
            continue
        for d in loaded:
            R.check("%s: %s %s has apiVersion, kind, metadata.name"
                    % (rel, d.get("kind"), (d.get("metadata") or {}).get("name")),
                    bool(d.get("apiVersion")) and bool(d.get("kind")) and
                    bool((d.get("metadata") or {}).get("name")))
        docs.extend(loaded)
    found = check_k8s_set("kubernetes", docs, binary, image, version)
    R.check("kubernetes: an edge Deployment and a sidecar Deployment run ssegate",
            sum(1 for v in found.values() if v) >= 2, str({k: len(v) for k, v in found.items()}))
    kinds = {d["kind"] for d in docs}
    R.check("kubernetes: Deployment, ConfigMap, Service, PodDisruptionBudget and "
            "HorizontalPodAutoscaler present",
            {"Deployment", "ConfigMap", "Service", "PodDisruptionBudget",
             "HorizontalPodAutoscaler"} <= kinds, str(sorted(kinds)))


# ---- Helm ---------------------------------------------------------------------------------------

def has_path(values, path):
    node = values
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check_helm(binary, image, version):
    chart = os.path.join(DEPLOY, "helm", "ssegate")
    meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    R.check("helm: Chart.yaml apiVersion v2, name ssegate",
            meta.get("apiVersion") == "v2" and meta.get("name") == "ssegate")
    if version:
        R.check("helm: appVersion %s = ssegate --version %s" % (meta.get("appVersion"), version),
                str(meta.get("appVersion")) == version)
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    refs = set()
    for t in glob.glob(os.path.join(chart, "templates", "*")):
        refs |= set(re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", open(t).read()))
    missing = sorted(r for r in refs if not has_path(values, r.strip(".").split(".")))
    R.check("helm: every .Values reference in templates/ exists in values.yaml (%d)" % len(refs),
            not missing, "missing: %s" % missing)
    R.check("helm: values.yaml leaves limits.drain_timeout to drainTimeoutSeconds",
            "drain_timeout" not in ((values.get("config") or {}).get("limits") or {}))
    cfg_ports = SsegateConfig(yaml.safe_dump(values["config"]), "values.yaml config")
    R.check("helm: values ports.http/ports.admin = config listener/admin ports",
            values["ports"]["http"] == cfg_ports.listeners[0][1] and
            values["ports"]["admin"] == (cfg_ports.admin or (None, None))[1])

    variant = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    variant["hpa"]["enabled"] = False
    variant["pdb"]["enabled"] = False
    variant["fullnameOverride"] = "edge"
    variant["drainTimeoutSeconds"] = 60
    variant["replicaCount"] = 4
    variant["config"]["limits"]["max_connections"] = 1000000  # a float64 in Go
    for vlabel, vals, release in (("helm (default values)", values, "ssegate"),
                                  ("helm (hpa/pdb off, drain 60s)", variant, "prod")):
        try:
            rendered = helm_render.render_chart(chart, vals, release)
        except helm_render.TemplateError as e:
            R.check("%s: chart renders" % vlabel, False, str(e))
            continue
        docs = []
        ok, err = True, ""
        for name, text in sorted(rendered.items()):
            try:
                docs.extend(d for d in yaml.safe_load_all(text) if d)
            except yaml.YAMLError as e:
                ok, err = False, "%s: %s" % (name, e)
        if not R.check("%s: chart renders to YAML (%d documents)" % (vlabel, len(docs)), ok, err):
            continue
        floats = [m.group(0) for t in rendered.values()
                  for m in re.finditer(r"[\w.\"/-]+:\s+\"?-?\d+(?:\.\d+)?e[+-]\d+\b", t)]
        R.check("%s: no number printed in Go float notation (pass it through int)" % vlabel,
                not floats, str(floats))
        found = check_k8s_set(vlabel, docs, binary, image, version, services_required=False)
        configs = [c for v in found.values() for c in v]
        deps = [d for d in docs if d["kind"] == "Deployment"]
        if not R.check("%s: one Deployment running ssegate" % vlabel,
                       len(deps) == 1 and len(configs) == 1):
            continue
        dep, cfg = deps[0], configs[0]
        drain = vals["drainTimeoutSeconds"]
        R.check("%s: limits.drain_timeout = drainTimeoutSeconds (%ss)" % (vlabel, drain),
                cfg.drain_s == drain)
        want = drain + vals["preStopSleepSeconds"] + vals["terminationMarginSeconds"]
        R.check("%s: terminationGracePeriodSeconds = drain + preStop + margin (%s)"
                % (vlabel, want), dep["spec"]["template"]["spec"].get(
                    "terminationGracePeriodSeconds") == want)
        kinds = sorted(d["kind"] for d in docs)
        want_kinds = ["ConfigMap", "Deployment", "Service"]
        if vals["hpa"]["enabled"]:
            want_kinds.append("HorizontalPodAutoscaler")
        if vals["pdb"]["enabled"]:
            want_kinds.append("PodDisruptionBudget")
        R.check("%s: renders %s" % (vlabel, ", ".join(sorted(want_kinds))),
                kinds == sorted(want_kinds), str(kinds))
        R.check("%s: replicas left to the HPA when enabled, else replicaCount" % vlabel,
                dep["spec"].get("replicas") ==
                (None if vals["hpa"]["enabled"] else vals["replicaCount"]))
        if vals.get("fullnameOverride"):
            R.check("%s: fullnameOverride names the objects" % vlabel,
                    all(d["metadata"]["name"] == vals["fullnameOverride"] for d in docs))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if not os.access(binary, os.X_OK):
        print("FAIL ssegate binary %s is not executable" % binary)
        return 1
    version = binary_version(binary)
    R.check("ssegate --version prints a version (%s)" % version, version is not None)
    image = check_dockerfile(binary)
    check_systemd(binary, image)
    check_kubernetes(binary, image, version)
    check_helm(binary, image, version)
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
