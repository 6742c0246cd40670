// Writes LICENSES.txt and README.md beside the bundle (run by build.sh in its temporary folder).
const out = process.argv[2];
const fs = require("fs");
const meta = JSON.parse(fs.readFileSync("meta.json", "utf8"));
const pkgs = new Set();
for (const f of Object.keys(meta.inputs)) {
  const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) pkgs.add(m[1]);
}
const names = [...pkgs].sort();
let lic = "Licences of the npm packages bundled into codemirror.min.js (all MIT).\n";
const rows = [];
for (const n of names) {
  const dir = "node_modules/" + n;
  const pj = JSON.parse(fs.readFileSync(dir + "/package.json", "utf8"));
  const file = fs.readdirSync(dir).find((x) => /^licen[cs]e/i.test(x));
  if (pj.license !== "MIT" || !file) { console.error("not MIT or no licence file: " + n); process.exit(1); }
  rows.push(`| ${n} | ${pj.version} | ${pj.license} |`);
  lic += `\n==== ${n} ${pj.version} (${pj.license}) ====\n\n` + fs.readFileSync(dir + "/" + file, "utf8").trim() + "\n";
}
fs.writeFileSync(out + "/LICENSES.txt", lic);
const esb = JSON.parse(fs.readFileSync("node_modules/esbuild/package.json", "utf8")).version;
fs.writeFileSync(out + "/README.md", `# Vendored CodeMirror 6

\`codemirror.min.js\` is one minified ES module holding the parts of [CodeMirror 6](https://codemirror.net/)
the content editor uses (\`src/sparring/web/static/editor.js\`): the exports of
\`tools/vendor/codemirror/entry.js\`. It is served from \`/static/\`, never from a CDN, so the editor works
offline and under the app's CSP. Every bundled package is MIT licensed; their licences are in \`LICENSES.txt\`.

Rebuilt with:

    tools/vendor/codemirror/build.sh

(npm ci of \`tools/vendor/codemirror/package-lock.json\`, then esbuild ${esb} \`--bundle --format=esm --minify
--target=es2020\`). Bundled packages, exact versions:

| package | version | licence |
|---|---|---|
${rows.join("\n")}

**CSP.** CodeMirror injects its styles as \`<style>\` elements (style-mod). The app's policy allows
\`style-src 'self' 'unsafe-inline'\` (\`sparring/web/headers.py\`), so they apply as they are. If that policy ever
drops \`'unsafe-inline'\` for a nonce, give the editor \`EditorView.cspNonce.of(nonce)\` (the bundle exports
\`EditorView\`). No script is inline: the bundle is a static file loaded by \`editor.js\` as a module.
`);
