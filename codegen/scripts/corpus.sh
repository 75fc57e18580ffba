#!/usr/bin/env bash
# Runs the generator over a corpus of real OpenAPI documents, in Rust, Python
# and TypeScript, and prints a table: parsed, generated, compiled or
# type-checked (a sample: `cargo check`, `mypy --strict`, `tsc --strict`),
# panics, operations dropped, untyped fallbacks.
#
# Usage: codegen/scripts/corpus.sh [LIST]
#   LIST       file with one spec path per line (default: $ONCELY_CORPUS/list.txt,
#              as written by shared/corpus/fetch.sh; ONCELY_CORPUS defaults to
#              ~/.cache/oncely-corpus)
# Environment:
#   SAMPLE=50        how many generated clients besides Stripe and GitHub to check
#   SEED=1           seed choosing the sample
#   CHECK=1          set to 0 to skip `cargo check`, mypy and tsc
#   LANGS=python,typescript        generated (and checked) beside Rust
#   MYPY="python3 -m mypy"         how to run mypy (default: the repo's .venv)
#   TSC=bindings/node/node_modules/typescript/bin/tsc
#   JOBS=2           parallel generator runs
#   OUT=target/corpus-out          where generated crates and logs go
#   CARGO_TARGET_DIR=target/corpus-check   the generator build and every `cargo check`
# Exit status: non-zero when a run panicked or dropped an operation.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${ONCELY_CORPUS:-$HOME/.cache/oncely-corpus}
list=${1:-$corpus/list.txt}
[ -f "$list" ] || { echo "no corpus list at $list: run shared/corpus/fetch.sh first" >&2; exit 2; }
export OUT=${OUT:-$repo/target/corpus-out}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target/corpus-check}
export SAMPLE=${SAMPLE:-50} SEED=${SEED:-1} CHECK=${CHECK:-1} JOBS=${JOBS:-2}
export LANGS=${LANGS:-python,typescript} REPO=$repo
export MYPY=${MYPY:-$repo/.venv/bin/python -m mypy}
export TSC=${TSC:-$repo/bindings/node/node_modules/typescript/bin/tsc}
mkdir -p "$OUT"
# The binary cargo built, wherever CARGO_TARGET_DIR put it (cargo reports
# the path of each executable it builds).
ONCELY_BIN=$(cd "$repo" && cargo build --release -q -p oncely-cli --bin oncely --message-format=json-render-diagnostics |
  python3 -c 'import json, sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")][-1])')
export ONCELY_BIN
exec python3 - "$list" <<'PY'
import concurrent.futures as cf, hashlib, json, os, random, re, shlex, subprocess, sys, time

list_file = sys.argv[1]
out = os.environ["OUT"]; bin_ = os.environ["ONCELY_BIN"]
sample_n = int(os.environ["SAMPLE"]); seed = int(os.environ["SEED"])
do_check = os.environ["CHECK"] != "0"; jobs = int(os.environ["JOBS"])
langs = [l for l in os.environ["LANGS"].split(",") if l]
repo = os.environ["REPO"]
specs = [l for l in open(list_file).read().splitlines() if l.strip()]
# Part of every crate name, so runs into different OUT dirs never share artifacts.
out_tag = hashlib.sha1(os.path.abspath(out).encode()).hexdigest()[:6]
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

def input_ops(path):
    """Operations in the document, counted independently of the generator."""
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
        try:
            doc = json.loads(text)
        except ValueError:
            import yaml
            doc = yaml.safe_load(text)
        paths = doc.get("paths") or {}
        return sum(1 for item in paths.values() if isinstance(item, dict)
                   for m in item if m in METHODS)
    except Exception:
        return None

def slug(path):
    h = hashlib.sha1(path.encode()).hexdigest()[:8]
    base = re.sub(r"[^A-Za-z0-9]+", "-", os.path.basename(os.path.dirname(path)) or "spec")
    return f"{base[:40]}-{h}"

# Methods per operation, counted in the generated source (Python has a sync
# and an async client class; each counts the same operations).
METHOD_PATTERNS = {
    "python": (re.compile(r"^    async def (?!_)\w+\(", re.M), "client.py"),
    "typescript": (re.compile(r"^  async \w+\(", re.M), "client.ts"),
}

def generate_other(r, path, lang):
    """Generates the Python or TypeScript client of `path` next to the crate."""
    dest = os.path.join(out, lang, r["slug"])
    g = subprocess.run([bin_, "generate", "--lang", lang, "--out", dest, path],
                       capture_output=True, text=True, timeout=120)
    ok = g.returncode == 0
    r[lang] = {"generated": ok, "dest": dest}
    r["panic"] = r["panic"] or g.returncode == 101 or "panicked" in g.stderr
    if not ok:
        r[lang]["error"] = g.stderr.strip()[-300:]
        return
    pattern, name = METHOD_PATTERNS[lang]
    sources = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs if f == name]
    r[lang]["methods"] = sum(len(pattern.findall(open(f).read())) for f in sources)
    if lang == "python":
        r[lang]["package"] = next((d for d in os.listdir(dest)
                                   if os.path.isfile(os.path.join(dest, d, "__init__.py"))), None)

def type_check(r, lang):
    """mypy --strict or tsc --strict on a generated client: (ok, log)."""
    info = r[lang]
    if lang == "python":
        env = dict(os.environ, MYPYPATH=os.path.join(repo, "bindings", "python", "python"))
        c = subprocess.run(shlex.split(os.environ["MYPY"]) + ["--strict", "--no-incremental", info["package"] or "."],
                           cwd=info["dest"], env=env, capture_output=True, text=True)
    else:
        modules = os.path.join(info["dest"], "node_modules")
        os.makedirs(modules, exist_ok=True)
        link = os.path.join(modules, "oncely")
        if not os.path.lexists(link):
            os.symlink(os.path.join(repo, "bindings", "node"), link)
        c = subprocess.run(["node", os.environ["TSC"], "-p", os.path.join(info["dest"], "tsconfig.json"),
                            "--strict", "--noEmit", "--typeRoots",
                            os.path.join(repo, "bindings", "node", "node_modules", "@types")],
                           capture_output=True, text=True)
    return c.returncode == 0, (c.stdout + c.stderr)[-4000:]

def run(path):
    r = {"spec": path, "slug": slug(path)}
    dest = os.path.join(out, "gen", r["slug"])
    t0 = time.time()
    try:
        c = subprocess.run([bin_, "check", "--json", path], capture_output=True, text=True, timeout=120)
        r["check_rc"] = c.returncode
        r["panic"] = c.returncode == 101 or "panicked" in c.stderr
        try:
            rep = json.loads(c.stdout)
            r["parsed"] = "operations" in rep
            r["untyped"] = len(rep.get("untyped", []))
            r["error"] = rep.get("error")
        except ValueError:
            r["parsed"] = False; r["untyped"] = 0; r["error"] = c.stderr.strip()[-300:]
        # A distinct crate name per spec: crates with the same name, version and
        # relative path would share one artifact slot in the shared target dir
        # (and cargo could take one for another, fresh).
        g = subprocess.run([bin_, "generate", "--lang", "rust", "--out", dest, "--name", "c-" + r["slug"] + "-" + out_tag, path],
                           capture_output=True, text=True, timeout=120)
        r["gen_rc"] = g.returncode
        r["panic"] = r["panic"] or g.returncode == 101 or "panicked" in g.stderr
        r["generated"] = g.returncode == 0
        if not r["generated"] and not r.get("error"):
            r["error"] = g.stderr.strip()[-300:]
        for lang in ("python", "typescript"):
            if lang in langs:
                generate_other(r, path, lang)
    except subprocess.TimeoutExpired:
        r.update(parsed=False, generated=False, panic=False, timeout=True, untyped=0)
    r["seconds"] = round(time.time() - t0, 3)
    r["input_ops"] = input_ops(path)
    ops_rs = os.path.join(dest, "src", "operations.rs")
    if r.get("generated") and os.path.exists(ops_rs):
        src = open(ops_rs).read()
        # Extra methods (`_with_body`, `_with_etag`) say so in their docs.
        r["methods"] = (src.count("    pub async fn ")
                        - src.count("with a body of any media type the operation accepts")
                        - src.count("that also returns the answer's `ETag`"))
        r["dest"] = dest
    return r

t0 = time.time()
with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
    results = list(ex.map(run, specs))
gen_time = time.time() - t0

generated = [r for r in results if r.get("generated")]
stripe = [r for r in generated if r["spec"].endswith("stripe.com.json")]
github = [r for r in generated if r["spec"].endswith("api.github.com.json")]
others = sorted((r for r in generated if r not in stripe and r not in github), key=lambda r: r["spec"])
sample = stripe + github + random.Random(seed).sample(others, min(sample_n, len(others)))
if do_check:
    for r in sample:
        t = time.time()
        c = subprocess.run(["cargo", "check", "--quiet", "--message-format", "short"], cwd=r["dest"],
                           capture_output=True, text=True)
        r["check_seconds"] = round(time.time() - t, 1)
        r["compiled"] = c.returncode == 0
        r["warnings"] = len(re.findall(r"^\S+:\d+:\d+: warning", c.stderr, re.M))
        if not r["compiled"] or r["warnings"]:
            r["cargo_log"] = c.stderr[-4000:]
        print(f"  cargo check {'ok ' if r['compiled'] else 'ERR'} {r['check_seconds']:7.1f}s "
              f"{r['warnings']} warnings  {r['spec']}", file=sys.stderr)

others_checked = {}
if do_check:
    for lang in ("python", "typescript"):
        if lang not in langs:
            continue
        todo = [r for r in sample if r.get(lang, {}).get("generated")]
        def check_one(r, lang=lang):
            t = time.time()
            ok, log = type_check(r, lang)
            r[lang].update(checked=ok, check_seconds=round(time.time() - t, 1))
            if not ok:
                r[lang]["check_log"] = log
            print(f"  {'mypy' if lang == 'python' else 'tsc '} {'ok ' if ok else 'ERR'} {r[lang]['check_seconds']:7.1f}s  {r['spec']}",
                  file=sys.stderr, flush=True)
        with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(check_one, todo))
        others_checked[lang] = todo

dropped = [(r["spec"], r["input_ops"], r["methods"]) for r in generated
           if r.get("input_ops") is not None and r.get("methods") is not None and r["methods"] < r["input_ops"]]
for lang in ("python", "typescript"):
    dropped += [(f"{r['spec']} ({lang})", r["input_ops"], r[lang]["methods"]) for r in results
                if r.get(lang, {}).get("generated") and r.get("input_ops") is not None
                and r[lang]["methods"] < r["input_ops"]]
panics = [r["spec"] for r in results if r.get("panic")]
timeouts = [r["spec"] for r in results if r.get("timeout")]
rows = [
    ("specs", len(results)),
    ("parsed", sum(1 for r in results if r.get("parsed"))),
    ("generated", len(generated)),
    ("compiled (cargo check)", f"{sum(1 for r in sample if r.get('compiled'))}/{len(sample)}" if do_check else "skipped"),
    ("warnings in checked crates", sum(r.get("warnings", 0) for r in sample) if do_check else "skipped"),
    *[row for lang, tool in (("python", "mypy --strict"), ("typescript", "tsc --strict")) if lang in langs
      for row in (
          (f"generated ({lang})", sum(1 for r in results if r.get(lang, {}).get("generated"))),
          (f"type-checked ({tool})",
           f"{sum(1 for r in others_checked.get(lang, []) if r[lang].get('checked'))}/{len(others_checked.get(lang, []))}"
           if do_check else "skipped"),
          (f"methods emitted ({lang})", sum(r.get(lang, {}).get("methods") or 0 for r in results)),
      )],
    ("panics", len(panics)),
    ("timeouts", len(timeouts)),
    ("operations in input", sum(r["input_ops"] or 0 for r in generated)),
    ("methods emitted", sum(r.get("methods") or 0 for r in generated)),
    ("operations dropped", sum(i - m for _, i, m in dropped)),
    ("untyped fallbacks", sum(r.get("untyped", 0) for r in results)),
    ("specs with untyped fallbacks", sum(1 for r in results if r.get("untyped"))),
    ("generator wall time (s)", round(gen_time, 1)),
]
w = max(len(k) for k, _ in rows)
print("| " + "metric".ljust(w) + " | value |")
print("|" + "-" * (w + 2) + "|-------|")
for k, v in rows:
    print(f"| {k.ljust(w)} | {v} |")
failed = [r for r in results if not r.get("generated")]
if failed:
    print("\nnot generated:")
    for r in failed:
        print(f"  {r['spec']}: {(r.get('error') or '').splitlines()[-1] if r.get('error') else 'timeout' if r.get('timeout') else '?'}")
for label, items in (("panics", panics), ("dropped operations", dropped), ("timeouts", timeouts)):
    if items:
        print(f"\n{label}:"); [print("  ", i) for i in items]
bad = [r for r in sample if do_check and (not r.get("compiled") or r.get("warnings"))]
for r in bad:
    print(f"\n--- cargo check {r['spec']} ---\n{r.get('cargo_log', '')}")
for lang, checked in others_checked.items():
    for r in checked:
        if not r[lang].get("checked"):
            bad.append(r)
            print(f"\n--- {'mypy' if lang == 'python' else 'tsc'} {r['spec']} ---\n{r[lang].get('check_log', '')}")
not_generated = [(r["spec"], lang, r[lang].get("error", "")) for r in results for lang in ("python", "typescript")
                 if lang in r and not r[lang]["generated"]]
for spec, lang, err in not_generated:
    print(f"\nnot generated ({lang}): {spec}: {(err.splitlines() or ['?'])[-1]}")
json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=1)
print(f"\ndetails: {os.path.join(out, 'results.json')}")
sys.exit(1 if panics or dropped or bad or not_generated else 0)
PY
